package io.omendb.raft.wire;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads a frame written by {@link FrameWriter}. The constructor verifies the CRC32C and the format version
 * before any field is read; every read is bounds-checked, and {@link #expectEnd()} refuses trailing bytes. Any
 * failure is a {@link CorruptFrameException}. Not thread-safe.
 */
public final class FrameReader {
    private static final int HEADER_BYTES = 2;
    private static final int CRC_BYTES = 4;
    private static final int VARINT_BYTES_MAX = 10;

    private final byte[] buf;
    private final int end;
    private final int kind;
    private int pos;

    public FrameReader(byte[] frame) {
        if (frame.length < HEADER_BYTES + CRC_BYTES) {
            throw new CorruptFrameException("frame of " + frame.length + " bytes is shorter than its header");
        }
        this.buf = frame;
        this.end = frame.length - CRC_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, end);
        int stored = ((frame[end] & 0xFF) << 24) | ((frame[end + 1] & 0xFF) << 16) | ((frame[end + 2] & 0xFF) << 8)
                | (frame[end + 3] & 0xFF);
        if (stored != (int) crc.getValue()) {
            throw new CorruptFrameException("frame checksum mismatch (stored " + Integer.toHexString(stored)
                    + ", computed " + Integer.toHexString((int) crc.getValue()) + ")");
        }
        int version = frame[0] & 0xFF;
        if (version != FrameWriter.FORMAT_VERSION) {
            throw new CorruptFrameException("unsupported frame format version " + version);
        }
        this.kind = frame[1] & 0xFF;
        this.pos = HEADER_BYTES;
    }

    public int kind() {
        return kind;
    }

    public int readByte() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public boolean readBoolean() {
        int b = readByte();
        if (b > 1) {
            throw new CorruptFrameException("boolean byte " + b);
        }
        return b == 1;
    }

    public long readVarLong() {
        long v = 0;
        for (int i = 0; i < VARINT_BYTES_MAX; i++) {
            int b = readByte();
            v |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CorruptFrameException("varint longer than " + VARINT_BYTES_MAX + " bytes");
    }

    /** A varint that must be a count or length in {@code [0, max]}. */
    public int readCount(int max) {
        long v = readVarLong();
        if (v < 0 || v > max) {
            throw new CorruptFrameException("count " + v + " outside [0, " + max + "]");
        }
        return (int) v;
    }

    public double readDouble() {
        need(8);
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (buf[pos++] & 0xFF);
        }
        return Double.longBitsToDouble(bits);
    }

    public byte[] readBytes() {
        return take(readCount(end - pos));
    }

    public byte[] readNullableBytes() {
        int n = readCount(end - pos + 1);
        return n == 0 ? null : take(n - 1);
    }

    /** Whether every field was read (a frame of an older layout may end before fields added since). */
    public boolean atEnd() {
        return pos == end;
    }

    public void expectEnd() {
        if (pos != end) {
            throw new CorruptFrameException((end - pos) + " trailing bytes after the last field");
        }
    }

    private byte[] take(int n) {
        need(n);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    private void need(int n) {
        if (n > end - pos) {
            throw new CorruptFrameException("truncated frame: need " + n + " bytes, " + (end - pos) + " left");
        }
    }
}
