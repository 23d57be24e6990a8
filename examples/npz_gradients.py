#!/usr/bin/python3
"""The course's analytic gradients in NumPy, written for `gtrain gradcheck --compare`.

DD2424's Assignment 1 (the linear model, cross-entropy and SVM with L2) and
Assignment 2 (a 2-layer net with ReLU) derive the gradients by hand. This
script computes them on a random mini-batch in the course's layout (W is K x d,
X is d x n, Y is K x n, b is K x 1) and writes one .npz per case, in the names
of docs/npz.md, for gtrain to check against its autodiff and numerical
gradients:

    /usr/bin/python3 examples/npz_gradients.py --out /tmp/grads
    gtrain gradcheck --compare /tmp/grads/linear_cross.npz

With --broken it also writes the classic mistakes, which the check must flag:
a missing 2*lambda*W, a transposed gradient, a wrong softmax sign, and a
2-layer backward pass without the ReLU's derivative.
Only numpy is needed.
"""

import argparse
import os

import numpy as np


def softmax(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def linear_cross(X, Y, W, b, lam, sign=1.0, reg=True):
    """Assignment 1's ComputeGradients: cross-entropy + lam*||W||^2."""
    n = X.shape[1]
    P = softmax(W @ X + b)
    G = sign * (P - Y)  # the right sign is -(Y - P)
    grad_W = G @ X.T / n + (2 * lam * W if reg else 0)
    grad_b = G.sum(axis=1, keepdims=True) / n
    return grad_W, grad_b


def linear_svm(X, y, W, b, lam, reg=True):
    """The bonus's multi-class SVM: mean of sum_{j != y} max(0, s_j - s_y + 1), + lam*||W||^2."""
    n = X.shape[1]
    S = W @ X + b
    margins = S - S[y, np.arange(n)] + 1
    G = (margins > 0).astype(float)
    G[y, np.arange(n)] = 0
    G[y, np.arange(n)] = -G.sum(axis=0)
    grad_W = G @ X.T / n + (2 * lam * W if reg else 0)
    grad_b = G.sum(axis=1, keepdims=True) / n
    return grad_W, grad_b


def two_layer(X, Y, W1, b1, W2, b2, lam, relu_mask=True):
    """Assignment 2's backward pass: ReLU hidden layer, softmax, cross-entropy + lam*(||W1||^2 + ||W2||^2)."""
    n = X.shape[1]
    S1 = W1 @ X + b1
    H = np.maximum(0, S1)
    P = softmax(W2 @ H + b2)
    G = P - Y
    grad_W2 = G @ H.T / n + 2 * lam * W2
    grad_b2 = G.sum(axis=1, keepdims=True) / n
    G = W2.T @ G
    if relu_mask:
        G = G * (S1 > 0)
    grad_W1 = G @ X.T / n + 2 * lam * W1
    grad_b1 = G.sum(axis=1, keepdims=True) / n
    return grad_W1, grad_b1, grad_W2, grad_b2


def save(out, name, **arrays):
    path = os.path.join(out, name + ".npz")
    np.savez(path, layout="course", **arrays)
    print(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=".", help="directory of the .npz files (default .)")
    ap.add_argument("--broken", action="store_true", help="also write the broken variants")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--d", type=int, default=20, help="input dimensions")
    ap.add_argument("--n", type=int, default=30, help="samples in the batch")
    ap.add_argument("--k", type=int, default=10, help="classes")
    ap.add_argument("--m", type=int, default=15, help="hidden units of the 2-layer net")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    d, n, K, m = args.d, args.n, args.k, args.m

    X = rng.standard_normal((d, n))  # like normalized pixels, a column per image
    y = rng.integers(0, K, n)        # 0-based classes
    Y = np.eye(K)[:, y]              # one-hot, K x n
    W = 0.01 * rng.standard_normal((K, d))
    b = 0.01 * rng.standard_normal((K, 1))
    batch = dict(X=X, y=y, Y=Y)

    lam = 0.1
    gW, gb = linear_cross(X, Y, W, b, lam)
    save(args.out, "linear_cross", loss="cross", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW, grad_b1=gb, **batch)
    gW, gb = linear_svm(X, y, W, b, lam)
    save(args.out, "linear_svm", loss="svm", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW, grad_b1=gb, **batch)

    W1 = rng.standard_normal((m, d)) / np.sqrt(d)
    b1 = np.zeros((m, 1))
    W2 = rng.standard_normal((K, m)) / np.sqrt(m)
    b2 = np.zeros((K, 1))
    g = two_layer(X, Y, W1, b1, W2, b2, lam)
    save(args.out, "two_layer", loss="cross", **{"lambda": lam}, hidden=np.array([m]),
         W1=W1, b1=b1, W2=W2, b2=b2, grad_W1=g[0], grad_b1=g[1], grad_W2=g[2], grad_b2=g[3], **batch)

    if args.broken:
        gW, gb = linear_cross(X, Y, W, b, lam, reg=False)
        save(args.out, "broken_no_reg", loss="cross", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW, grad_b1=gb, **batch)
        gW, gb = linear_cross(X, Y, W, b, lam)
        save(args.out, "broken_transposed", loss="cross", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW.T, grad_b1=gb, **batch)
        gW, gb = linear_cross(X, Y, W, b, lam, sign=-1.0)
        save(args.out, "broken_softmax_sign", loss="cross", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW, grad_b1=gb, **batch)
        gW, gb = linear_svm(X, y, W, b, lam, reg=False)
        save(args.out, "broken_svm_no_reg", loss="svm", **{"lambda": lam}, W1=W, b1=b, grad_W1=gW, grad_b1=gb, **batch)
        g = two_layer(X, Y, W1, b1, W2, b2, lam, relu_mask=False)
        save(args.out, "broken_two_layer_no_relu", loss="cross", **{"lambda": lam}, hidden=np.array([m]),
             W1=W1, b1=b1, W2=W2, b2=b2, grad_W1=g[0], grad_b1=g[1], grad_W2=g[2], grad_b2=g[3], **batch)


if __name__ == "__main__":
    main()
