package io.omendb.raft.wire;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Builds one frame: {@code [u8 formatVersion][u8 kind][payload][u32 CRC32C of everything before]}. Integers are
 * unsigned LEB128 varints; byte strings are a varint length then the bytes; a nullable byte string stores
 * {@code length + 1} with 0 meaning null. Not thread-safe; one writer per frame.
 */
public final class FrameWriter {
    public static final int FORMAT_VERSION = 1;
    private static final int INITIAL_BYTES = 64;

    private byte[] buf = new byte[INITIAL_BYTES];
    private int len;

    public FrameWriter(int kind) {
        writeByte(FORMAT_VERSION);
        writeByte(kind);
    }

    public FrameWriter writeByte(int b) {
        ensure(1);
        buf[len++] = (byte) b;
        return this;
    }

    public FrameWriter writeBoolean(boolean v) {
        return writeByte(v ? 1 : 0);
    }

    public FrameWriter writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
        return this;
    }

    public FrameWriter writeDouble(double v) {
        long bits = Double.doubleToRawLongBits(v);
        ensure(8);
        for (int i = 7; i >= 0; i--) {
            buf[len++] = (byte) (bits >>> (8 * i));
        }
        return this;
    }

    public FrameWriter writeBytes(byte[] b) {
        writeVarLong(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    public FrameWriter writeNullableBytes(byte[] b) {
        if (b == null) {
            return writeVarLong(0);
        }
        writeVarLong(b.length + 1L);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** Appends the checksum and returns the finished frame. The writer must not be used afterwards. */
    public byte[] finish() {
        CRC32C crc = new CRC32C();
        crc.update(buf, 0, len);
        int c = (int) crc.getValue();
        ensure(4);
        buf[len++] = (byte) (c >>> 24);
        buf[len++] = (byte) (c >>> 16);
        buf[len++] = (byte) (c >>> 8);
        buf[len++] = (byte) c;
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }
}
