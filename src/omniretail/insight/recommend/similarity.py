"""Item-item similarity matrices shared by the neighbourhood recommenders and the basket."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def cooccurrence(seen: sp.csr_matrix) -> sp.csr_matrix:
    """C = Bᵀ·B: how many customers have both products (diagonal: buyers of each product)."""
    b = seen.astype(np.float32)
    c: sp.csr_matrix = (b.T @ b).tocsr()
    return c


def cosine(c: sp.csr_matrix, shrink: float = 0.0) -> sp.csr_matrix:
    """S_ij = C_ij / (sqrt(C_ii·C_jj) + shrink), zero diagonal."""
    diag = c.diagonal().astype(np.float32)
    coo = c.tocoo()
    denom = np.sqrt(diag[coo.row] * diag[coo.col]) + shrink
    vals = np.where(denom > 0, coo.data / np.where(denom > 0, denom, 1.0), 0.0)
    vals[coo.row == coo.col] = 0.0
    s = sp.csr_matrix((vals.astype(np.float32), (coo.row, coo.col)), shape=c.shape)
    s.eliminate_zeros()
    return s


def jaccard(c: sp.csr_matrix) -> sp.csr_matrix:
    """S_ij = C_ij / (C_ii + C_jj − C_ij) (SAR's default)."""
    diag = c.diagonal().astype(np.float32)
    coo = c.tocoo()
    denom = diag[coo.row] + diag[coo.col] - coo.data
    vals = np.where(denom > 0, coo.data / np.where(denom > 0, denom, 1.0), 0.0)
    return sp.csr_matrix((vals.astype(np.float32), (coo.row, coo.col)), shape=c.shape)


def lift(c: sp.csr_matrix) -> sp.csr_matrix:
    """S_ij = C_ij / (C_ii · C_jj) (SAR's lift: favours serendipity)."""
    diag = c.diagonal().astype(np.float32)
    coo = c.tocoo()
    denom = diag[coo.row] * diag[coo.col]
    vals = np.where(denom > 0, coo.data / np.where(denom > 0, denom, 1.0), 0.0)
    return sp.csr_matrix((vals.astype(np.float32), (coo.row, coo.col)), shape=c.shape)


def keep_top_neighbours(s: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries in each row (the k nearest neighbours of each item)."""
    s = s.tocsr()
    counts = np.diff(s.indptr)
    if counts.size == 0 or counts.max() <= k:
        return s
    keep = np.ones(len(s.data), dtype=bool)
    for row in np.flatnonzero(counts > k):
        lo, hi = s.indptr[row], s.indptr[row + 1]
        vals = s.data[lo:hi]
        drop = np.argpartition(-vals, k)[k:]
        keep[lo + drop] = False
    data = np.where(keep, s.data, 0.0).astype(np.float32)
    out = sp.csr_matrix((data, s.indices, s.indptr), shape=s.shape)
    out.eliminate_zeros()
    return out
