package io.omendb.storage.index;

/**
 * Shape of one index.
 *
 * @param leaves     leaf models (1 for a single linear model, 0 for binary search)
 * @param innerNodes routing models above the leaves
 * @param depth      longest root-to-leaf path, counting the leaf
 * @param meanError  mean of the leaves' measured max errors, in positions
 * @param maxError   largest leaf error, in positions
 * @param modelBytes bytes of model parameters kept in memory and on disk
 */
public record IndexStats(long leaves, long innerNodes, int depth, double meanError, long maxError, long modelBytes) {
}
