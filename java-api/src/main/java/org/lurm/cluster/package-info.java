/**
 * Interests (MODEL.md, Stage 1, "Large-scale clustering module"): spherical k-means of item embeddings into K
 * interests, flat or two-level ({@link org.lurm.cluster.SphericalKMeans}), the nearest-centroid index used to
 * assign items and unseen embeddings ({@link org.lurm.cluster.NearestCentroids}), and the
 * {@link org.lurm.cluster.InterestModel} that keeps the centroids, the item-to-interest table and each
 * interest's most typical items.
 */
package org.lurm.cluster;
