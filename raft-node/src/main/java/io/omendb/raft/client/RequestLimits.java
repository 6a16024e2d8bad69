package io.omendb.raft.client;

import io.omendb.config.OmenConfig;
import io.omendb.storage.WriteBatch;

import java.util.List;

/** Checks request arguments against {@code [limits]} before anything is sent. Stateless apart from the limits. */
final class RequestLimits {
    private final OmenConfig.Limits limits;

    RequestLimits(OmenConfig.Limits limits) {
        this.limits = limits;
    }

    void checkKey(byte[] key) {
        if (key == null || key.length == 0) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "a key must be non-empty");
        }
        if (key.length > limits.maxKeySizeBytes()) {
            throw new ClientException(ErrorCode.KEY_TOO_LARGE, "key of " + key.length + " bytes exceeds "
                    + "limits.max_key_size_bytes = " + limits.maxKeySizeBytes());
        }
    }

    void checkValue(byte[] value) {
        if (value == null) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "a value must not be null");
        }
        if (value.length > limits.maxValueSizeBytes()) {
            throw new ClientException(ErrorCode.VALUE_TOO_LARGE, "value of " + value.length + " bytes exceeds "
                    + "limits.max_value_size_bytes = " + limits.maxValueSizeBytes());
        }
    }

    void checkBatch(List<WriteBatch.Op> ops) {
        if (ops.isEmpty()) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "a batch needs at least one operation");
        }
        if (ops.size() > limits.maxInsertBatchSize()) {
            throw new ClientException(ErrorCode.BATCH_TOO_LARGE, ops.size() + " operations exceed "
                    + "limits.max_insert_batch_size = " + limits.maxInsertBatchSize());
        }
        for (WriteBatch.Op op : ops) {
            if (op instanceof WriteBatch.Put p) {
                checkKey(p.key());
                checkValue(p.value());
            } else if (op instanceof WriteBatch.Delete d) {
                checkKey(d.key());
            } else if (op instanceof WriteBatch.DeleteRange r) {
                checkKey(r.start());
                checkKey(r.end());
            }
        }
    }

    int checkScanLimit(int limit) {
        if (limit < 1 || limit > limits.maxScanLimit()) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "scan limit " + limit + " outside [1, "
                    + "limits.max_scan_limit = " + limits.maxScanLimit() + "]");
        }
        return limit;
    }
}
