package io.omendb.router.http;

/**
 * Size checks of decoded keys, values and batches against {@link HttpServerOptions}. Endpoints call these before
 * the backend, so oversized input never reaches a range group.
 */
public final class InputLimits {
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final int maxInsertBatchSize;

    public InputLimits(HttpServerOptions options) {
        this.maxKeyBytes = options.maxKeyBytes();
        this.maxValueBytes = options.maxValueBytes();
        this.maxInsertBatchSize = options.maxInsertBatchSize();
    }

    public byte[] requireKey(byte[] key) {
        if (key.length == 0) {
            throw ApiError.badRequest("empty_key", "the key is empty; keys are 1 to " + maxKeyBytes + " bytes")
                    .asException();
        }
        if (key.length > maxKeyBytes) {
            throw ApiError.tooLarge("key_too_large", "key is " + key.length + " bytes; the limit is "
                    + maxKeyBytes + " bytes").asException();
        }
        return key;
    }

    public byte[] requireValue(byte[] value) {
        if (value.length > maxValueBytes) {
            throw ApiError.tooLarge("value_too_large", "value is " + value.length + " bytes; the limit is "
                    + maxValueBytes + " bytes").asException();
        }
        return value;
    }

    public void requireBatchSize(int ops) {
        if (ops == 0) {
            throw ApiError.badRequest("empty_batch", "ops is empty; send at least one op").asException();
        }
        if (ops > maxInsertBatchSize) {
            throw ApiError.tooLarge("batch_too_large", "batch has " + ops + " ops; the limit is "
                    + maxInsertBatchSize + " (max_insert_batch_size); split it").asException();
        }
    }
}
