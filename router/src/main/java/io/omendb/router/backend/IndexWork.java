package io.omendb.router.backend;

/** Background index maintenance an operator can schedule. */
public enum IndexWork {
    /** Refit the models of segments whose error drifted (cheap). */
    RETRAIN,
    /** Rewrite every segment and fit every model from scratch (expensive). */
    REBUILD
}
