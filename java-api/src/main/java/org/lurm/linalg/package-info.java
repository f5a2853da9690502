/**
 * Linear algebra for the item embedding module: a {@link org.lurm.linalg.LinearOperator} abstraction with sparse
 * ({@link org.lurm.linalg.CsrOperator}, over {@link org.lurm.backend.Backend#csrMultiply}) and dense
 * ({@link org.lurm.linalg.DenseOperator}, over {@link org.lurm.backend.Backend#gemm}) implementations, and the
 * randomized truncated SVD of Halko, Martinsson and Tropp ({@link org.lurm.linalg.RandomizedSvd}) with its
 * double-precision building blocks ({@link org.lurm.linalg.HouseholderQr}, {@link org.lurm.linalg.JacobiSvd}).
 *
 * <p>Large products run in float32 on the backend; orthonormalisation and the small SVD run in double on the
 * host. Results are deterministic for a seed, whatever the number of threads.
 */
package org.lurm.linalg;
