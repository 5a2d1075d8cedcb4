"""Checkers of notebook 02_heatmaps: neuron alignment, linear CKA, neural persistence of a layer,
and the design of the merge test's controls (a judgement exercise).

    from toolkit.exercises import ex02 as check
    check.q1(match)          # match(W_a, W_b) -> permutation of W_b's rows aligned with W_a's rows
    check.q2(cka)            # cka(X, Y) -> linear CKA of two (N, p), (N, q) representations
    check.q3(controls)       # {alternative explanation: letter of the reference pair that tests it}
    check.q4(np_layer)       # np_layer(W) -> normalized neural persistence of one layer (p = 2)
"""

from __future__ import annotations

import numpy as np

from . import (
    Exercise,
    Wrong,
    call_student,
    expect_array,
    expect_callable,
    is_close,
    parse_letter,
    sealed_verdict,
)
from .. import alignment, neural_persistence

__all__ = ["q1", "q2", "q3", "q4"]


def _check_match(answer) -> None:
    fn = expect_callable(answer, "a function match(W_a, W_b)")
    rng = np.random.default_rng(2)
    for n, d, noise, offset in (
        (6, 10, 0.0, 0.0),
        (20, 50, 0.05, 0.0),
        (40, 784, 0.3, 0.0),
        (20, 30, 0.05, 2.0),
    ):
        W_a = rng.normal(size=(n, d)) + offset * rng.normal(size=(n, 1))  # rows with their own mean
        p = rng.permutation(n)
        scale = rng.uniform(0.5, 2.0, size=(n, 1))  # neurons may differ in scale
        shift = offset * rng.normal(size=(n, 1))  # ... and in offset (correlation ignores it)
        W_b = W_a[p] * scale + shift + noise * rng.normal(size=(n, d))
        want = np.argsort(p)  # W_b[want] == W_a (up to scale, noise)
        got = expect_array(call_student(fn, W_a.copy(), W_b.copy()), (n,), "a permutation")
        if not np.array_equal(np.sort(got), np.arange(n)):
            raise Wrong(
                f"For {n} neurons the answer must be a permutation of 0..{n - 1} (each index "
                "once); "
                f"got {got[:8].astype(int).tolist()}..."
            )
        if not np.array_equal(got.astype(int), want):
            wrong = int(np.sum(got.astype(int) != want))
            raise Wrong(
                f"On {n} neurons with {d} inputs (noise {noise}, rows rescaled) {wrong} of {n} "
                "rows "
                f"are matched to the wrong partner. Return perm with W_b[perm] aligned to W_a "
                f"(perm[i] = the row of W_b that matches row i of W_a), and use a similarity "
                f"that ignores scale (correlation or cosine)."
            )
    W_a = rng.normal(size=(5, 8))
    got = expect_array(call_student(fn, W_a, W_a[::-1].copy()), (5,), "a permutation")
    if not np.array_equal(got.astype(int), np.arange(5)[::-1]):
        raise Wrong(
            "match(W, W[::-1]) should be [4, 3, 2, 1, 0]: row i of W is row 4 - i of W[::-1]. "
            "Check the direction of your permutation."
        )


def _check_cka(answer) -> None:
    fn = expect_callable(answer, "a function cka(X, Y)")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))

    def val(a, b, what):
        v = expect_array(call_student(fn, a.copy(), b.copy()), None, "a number")
        if v.size != 1 or not np.isfinite(v).all():
            raise Wrong(f"cka({what}) should return one finite number, got {v!r}.")
        return float(v.reshape(-1)[0])

    v = val(X, X, "X, X")
    if not is_close(v, 1.0):
        raise Wrong(f"cka(X, X) must be 1 (identical representations); got {v:.4f}.")
    v = val(X, 5.0 * X @ Q + 3.0, "X, 5 X Q + 3")
    if not is_close(v, 1.0):
        raise Wrong(
            f"cka(X, 5*X@Q + 3) must be 1: CKA ignores rotations, isotropic scaling and offsets "
            f"(did you centre the columns?); got {v:.4f}."
        )
    Y = rng.normal(size=(300, 7))
    want = alignment.linear_cka(X.copy(), Y.copy())  # the reference first, on its own copies
    v = val(X, Y, "X, Y")
    if not is_close(v, want):
        raise Wrong(
            f"cka(X, Y) for X (300, 12) and an independent Y (300, 7) should be {want:.4f}; got "
            f"{v:.4f}."
        )
    Z = np.hstack([X[:, :4], rng.normal(size=(300, 3))])
    want = alignment.linear_cka(X.copy(), Z.copy())
    v = val(X, Z, "X, Z")
    Xc, Zc = X.copy(), Z.copy()
    call_student(fn, Xc, Zc)
    if not (np.array_equal(Xc, X) and np.array_equal(Zc, Z)):
        raise Wrong(
            "Your function changed the arrays it was given (e.g. `X -= X.mean(0)`): the caller's "
            "activations are overwritten. Centre copies: `X = X - X.mean(0)`."
        )
    if not is_close(v, want):
        raise Wrong(
            f"For a partly shared representation the answer should be {want:.4f}; got {v:.4f}."
        )


def _check_np(answer) -> None:
    fn = expect_callable(answer, "a function np_layer(W)")

    def val(W, what):
        v = expect_array(call_student(fn, np.array(W, dtype=float)), None, "a number")
        if v.size != 1 or not np.isfinite(v).all():
            raise Wrong(f"np_layer({what}) should return one finite number, got {v!r}.")
        return float(v.reshape(-1)[0])

    v = val([[1.0, 0.5]], "[[1.0, 0.5]]")
    want = 0.5 / np.sqrt(2)
    if not is_close(v, want):
        raise Wrong(
            "For W = [[1.0, 0.5]] (3 vertices, 2 spanning-tree edges with normalized weights 1 "
            "and 0.5, "
            f"persistences 0 and 0.5) the normalized value is 0.5 / sqrt(2) = {want:.4f}; got "
            f"{v:.4f}."
        )
    rng = np.random.default_rng(4)
    for shape in ((3, 4), (10, 6), (32, 50)):
        W = rng.normal(size=shape)
        want = neural_persistence.layer_neural_persistence(W)["normalized"]
        v = val(W, f"a random {shape} matrix")
        if not is_close(v, want):
            raise Wrong(
                f"For a random {shape} layer the normalized neural persistence is {want:.4f}; got "
                f"{v:.4f}. Use |W| / max|W|, the maximum spanning tree, persistence 1 - w, "
                f"the 2-norm, and divide by sqrt(V - 1) with V = n_out + n_in."
            )


q1 = Exercise(
    "q1",
    _check_match,
    forbid=lambda: [alignment.match_neurons],
    hint="""
    Build the (n, n) similarity matrix S[i, j] = correlation of row i of W_a with row j of W_b
    (centre and normalize each row, then one matrix product).
    `scipy.optimize.linear_sum_assignment(S,
    maximize=True)` returns (rows, cols) of the best one-to-one assignment; perm = cols (rows come
    sorted).
    """,
    solution="",
    success="Correct: your matching recovers hidden permutations exactly, even with noise and "
    "rescaled rows.",
)

q2 = Exercise(
    "q2",
    _check_cka,
    forbid=lambda: [alignment.linear_cka],
    hint="""
    Centre every column of X and Y (subtract the column means). Then
    CKA = ||Y^T X||_F^2 / (||X^T X||_F * ||Y^T Y||_F), with ||.||_F = np.linalg.norm of a matrix.
    """,
    solution="",
    success="Correct: 1 for identical or rotated/scaled copies, low for independent "
    "representations.",
)

q4 = Exercise(
    "q4",
    _check_np,
    forbid=lambda: [neural_persistence.layer_neural_persistence],
    hint="""
    Normalize A = |W| / max|W|. Vertices: the n_out rows and the n_in columns (V = n_out + n_in).
    Add edges in order of decreasing A (a superlevel filtration); an edge that joins two different
    components (union-find) records persistence 1 - A[i, j]. These V - 1 edges form a maximum
    spanning tree. Return sqrt(sum of persistence^2) / sqrt(V - 1).
    """,
    solution="",
    success="Correct: that is the normalized neural persistence of Rieck et al. (2019) for one "
    "layer.",
)


# --- q3: which control rules out which alternative explanation (judgement, multiple choice)
# ---------
PAIRS = {
    "a": "A(t) + B(t): the hypothesis",
    "b": "C(t) + C(u): two other nets trained on the same task",
    "c": "A(t) + B(t) trained on shuffled labels",
    "d": "two untrained nets (t, u)",
    "e": "A(s) + B(s): the same seed (initial weights) as the target C(s)",
}
#: the alternative explanations the controls must rule out (the key is not stored: see _SEALED)
ALTERNATIVES = {
    "images": "C's split into an A-part and a B-part only reflects the input images, not the tasks",
    "chance": "any ReLU layer on these images resembles any other (similarity for free)",
    "initialization": "the similarity is inherited from identical starting weights, not learned",
    "ceiling": "any two nets that solved the same task look this alike (how high can the score "
    "get?)",
}


def _check_controls(answer) -> None:
    if not isinstance(answer, dict):
        raise Wrong(
            f"Give a dict {{alternative: letter}}, e.g. {{'images': 'a', ...}}; got a "
            f"{type(answer).__name__}."
        )
    missing = [k for k in ALTERNATIVES if k not in answer]
    extra = [k for k in answer if k not in ALTERNATIVES]
    if missing or extra:
        raise Wrong(
            f"The dict needs exactly the keys {list(ALTERNATIVES)}; missing {missing}, unknown "
            f"{extra}."
        )
    wrong, right = [], []
    for key, text in ALTERNATIVES.items():
        got = parse_letter(answer[key], PAIRS, f"controls[{key!r}]")
        ok, why = sealed_verdict(_SEALED[f"ex02.q3.{key}"], f"ex02.q3.{key}", got)
        (right if ok else wrong).append(why if ok else f"- '{key}' ({text}): {why}")
    if wrong:
        raise Wrong(
            f"{len(wrong)} of {len(ALTERNATIVES)} controls do not test their alternative:\n"
            + "\n".join(wrong)
        )
    return " ".join(right)


q3 = Exercise(
    "q3",
    _check_controls,
    hint="""
    For each alternative explanation ask: which reference pair differs from the hypothesis (a) in
    exactly the one thing that alternative is about -- the labels (task), the training (learned at
    all), the initial weights, or nothing but the seed?
    """,
    solution="",
    success="Correct.",
)


# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; instructor-only
# plain text there). Each blob opens only with its own option: see toolkit.exercises.seal.
_SEALED = {
    "ex02.q3.images": [
        "1LdTh6SMYhbna6GM4Wxb+ETMNERlvJExDm5joIS3WZZ25rPH+WwTBt5X/HiYMqBeIdoKGHxNNKCYulzoOo/Isd5bPLaogShseuq6j1Xdvj9x8nGktuTCVFPrNxntYtZi/iUa0hiwshARR7DJL4csfFitmCCEbleYw37VYSB6gdzj4Kw0pQxUe49yOwM5Y3wAt2bkQ38Edw2LjWgzbff3Xvbzs97lmOVDipF48RlMzG1zJXM=",
        "Furb9j1FvP6mVMuyJLnj5roGQnrsifNMijKBI7jriEHYSvM+1njOyrenubufnKRHerBYQ6fW+An4WAQZ1nq9SMXPC1fsxvUTbTjW6in0mJ6UbV+Uy7JMsXYHRlIxaFs5wBSem7JO+g33FBg5C6BVyb/49lDhKd5bP8CG2+hjlyhRmTlf0TxK",
        "QEV510RZtZztai/IdqGALmQRzulYzIRbswopXvvDeXYOkJfYIlJbl/vfUzxbLZQgX+nniIxDk5xVimkYGpc8zcAo++aot/JOzqiUSJyhUSnp3akJZ2IwcP2iIHcEjZxs1BwRvaVD0ioVJsqvRkQKqya+q08DUeB55kWTD79q9aLi7U2Pij32pUt5aAVwmVhF3td6uore6q48CGL3wC8D1ABP2J819KY=",
        "m+R1RQsOfn0lzErq44AzmYJrAs3c2p3j2wzSSQOht7VHy7ivJy23PXnM6toGK8DT9VtsvcwFmm5KaYDkUtYJWG1f8zv1qxrsWyH8bcR28jfgczf4kRj61/0sr/fPduOnn4klInWicw==",
        "y38Uq/o530UsDzNCAU0T1Hbvi3g0Nj8aabq6lIHRANHR2huzMbFuQxU/efU8i0BYGOHTuHo6/DgyNwOEp/id/+BAIsNiUh854XV8ZgXC+L7eq5z/1Bl1MtAI9YZY/C5vpVcpr3HwQlALIYR4mWST7YkU0kHzRaCoTYWuic7C",
    ],
    "ex02.q3.chance": [
        "CZl2p3kn5aSocClbT6kuVoedYPtUsSkJyAL7bfZz8BYc8oWeggff+k729sSYSMmQ0gCIU2b5zJeQXs0g44VElj+X+Wbkan1NzIHmcG+AtsiwNUh7Gb9D3C8t7h1er9GL+scEYRvfPs8JE0T1kS/hYkiaebVU/0HHlHTlNJJur7PPVcLq0+IDEkkV",
        "FzS2/gkLyz6euekkgdkv+vmmf44Nu2kZZ0BAVosPEtqoZBZCEwqtfi82HyTZGd5ylUqotHgfMMIGLBuZ+LARtoZ69+tZ9WZ6UODAYUO3U5qKf4scfKj1RTesc+HcPa0IG0mkrxYSo8kd18PCLwZGDlbfsIs09xzdo5H28Apk+m/QAe+26ygEIv3vNE7d83vuWJ8qhxxKmgkSe9RHKe5rECtWXVKZV7pSx+S0ZndvNaLKro4=",
        "MotyedIJdmlGukw6n+dSdVjZu7tKDlGfZMX/0u6yPPhHy8Uce/LWENPH0fdAYzuChukxsyPbH9UiKeorGgr0uxBS/IcJTCZAhwsjYiGpq24km5M02HiUCrVQjHUGZJmkXHTiQNLZgZbSiBdY16u2M/lgTGCcP8gWggUa6evPfmIGD1fLZ9h297w4xYovpNfax/eaaz7IPjm+oCo00f0mYgqrG9eQgzI=",
        "QIyMSkeO4iLsP+JeHOs4KjJG2Dx6vrH/bcWdcdLp8uwjcEXbn0KI7UdWAVSVU1T6o5WkogE5g5cJKaVqVgWaPbSSz/fo1TDgSBwsjZtY8VcQZShQDnMX+8I3pRu11/2eSUHk2IMToQ==",
        "SlsWmgD/jNuzkf0bLVlbqM1osZKaQDIKD4nH7JU6wCXB3Qc/Y64DXKZZ6I/3qpzMydedENUaM13ENDMmKLJ8aYTIWa6J1NG0divRnuybs+yzNAMLfW+j2uLDeLMiQTDvPaGY3OqzZoBtjI6SMmjlWKXtChP+q7AOHlaCKhni12NZecCvGct0Z9A1wyfxhYwqnjF+CdZoWcYbvE4=",
    ],
    "ex02.q3.initialization": [
        "86ixwoNf2BnDwREbADNGVJciQXayq3KkIMKsv08NFRBZexQe9Yr6wqvbiJps7XHGSlk8xDTXpBynKrPmrLTlZFqxiOGOz4prWVvIR9PSU+qkHaxNLh+V7EsUJgewHXG8UyftXmzcIG04nbD3sw79SsFEAPgsaJmbWEVEd0HW",
        "RDH+dctTJDpkbbqiohqjebZFfNfexfwd+DD9hRvagZ6AymL0rAD972J8L0eO5ohIe7Z+VAFuEI+pOg67Gq11jT/VlyTXRPKsQxemYa1+UfZRMcrYqA/dC4YTCSY5VKYhFieyUxjkMNkvFnpPzyU+kZUN9wN+mGrS9ZROkFXWuIzOGDq1qkp/gXlbAT+Qu5ia5l0hKMzE/uHWQiqYmysr6DMIp2ZXyrE=",
        "i0gaNDKnu9wG4LUhe7HoczClpJj74S+hzuO+WOjivxwsij/5rmSdCvA1sV6waJ11IMOEqeJgDFmIf49HjCG2urCEwU++AlHNd2xWdp4bqqbs6cYEc5tlzYaUGOz1mRuJXhiaSnHrYg==",
        "kBqoCpwFprEeE3uyAU7rs3sITWIVqZvG7Roi6TXP5qYqvjR+cPx8gbMek7/PYPfe9bfoJ/X9J0ZGj///+rCOvEglwfQ6c7frwUJOT8SE+r11e29aOZ+UmEfdKZmk8mVWl1YiTa8xPAxgbsZRboMTG6MC6GuSDBg3+9mtRV1RWr9eOr6FkT+R2WHz3SQiWogSqPOSCoiRRfJweOQ=",
        "ue0AjLI3j0X5aNyFcx5zJT8gSGTV1Bwrj6V5T3qeArjPIi/HgTK2uyLckKMUcWDYnkl9aQbFD3Pa3NWM/EfWNMuJxRhIIP7BuPojmJUwd0dte6vdKMBP8M4UgiQs4WRHmiCzC77J759CiXko",
    ],
    "ex02.q3.ceiling": [
        "27kViIBXBYWeCTgvbOqFj/DUC3N8Rhc4QysY6P0EG5HG2IpmDMUBcUA2/f/gTIIczgVybVGznU2fEDRVJo96Uciwx0vSYJQ46ESACiXG/kgC2h7nmcwnM/+XunHFW4KKlD7t35JgETOe7oGhEqMILslY8dTvIto0x1IWE4Lj",
        "NLnfqdZX7CI9j1J6bffc7zsd8wLQQutYCpHWQNcng6t79S0JjPI30iHhsMy6WDffZAKtsoy73QzfN+m0NYUv+OXepovtjGN5Y+kmT1C5e7veOlxUqQOCyFDShFY7uMW0Ya8d9iAWCw==",
        "OZFG9t7b4H/kfVGTl/GnTKx97pIgvoLSmHB5uNUGhxdmpsbXvcWaeyZc98G9ue3eAfz/kqQUn5UhCMAOebloZ/xN2ZeK22rxkERhwvkzzbW3/EMKptKz53DkjTcU9CfgyzXAn1IgLBenH7Q=",
        "jbBwHDtu/sLEMY4TnwycMUM8VwI6PXYA+BOiYuGTJUu5rAz29+epgFs8rfxaj3oKpvfyVhlKxfpAE1sobxlddDounjgPofYuMpoTQkZdN9zomfU+BQFyFB33+8bIva3DxRs/v6DJR3RnGaXxSIUKCHwYat3d+llQU+wlE8061DHsujHo50Y+NgzXvHMQRV1DHPxVsjX/KIefKLjQq8ikpMdW7UmYI9204grKwGAgR92juvY=",
        "wzshmxDMyeo/Dh3WFJaXvzSRh3h8VLDhiLzUnNAZzNpM6fYzL8W0CeXYuMPEga3QpwWTcVEahfWb4UBdMD/OV8L5v/eSAbB36w7QVAWGJznMEX06+trhTbmXzQtkleM2xd25XZuoVVil4BJYL3iUS5GEqCPaVAaQAzqIt/YOM6IQ+kCj4iSus0eswnAdMxOLe0D7ZwtFX1EZ5Fo=",
    ],
}
