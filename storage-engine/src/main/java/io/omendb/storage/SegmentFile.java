package io.omendb.storage;

import com.github.luben.zstd.Zstd;
import io.omendb.storage.index.IndexCodec;
import io.omendb.storage.index.KeyIndex;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a segment, and the only code that reads or writes it. Writing streams ({@link Writer});
 * reading streams too ({@link #read}) and keeps only keys and small values in the heap, the large ones being
 * read from the file on demand ({@link #readValue}).
 *
 * <pre>
 * file   := header blocks* indexBlock footer
 * header := "OMSEG" 0 0 1                                   (8 bytes, format version 1)
 * block  := codec:u8 rawLen:u32 storedLen:u32 records:u32 payload[storedLen] crc32c:u32
 *           raw payload := (suffixLen:varint suffix (valueLen+1):varint value)*   valueLen+1 == 0: tombstone
 * indexBlock := length:u32 payload crc32c:u32
 *           payload := prefixLen:u32 prefix count:u32 maxRaftIndex:u64 model (IndexCodec)
 * footer := indexOffset:u64 count:u64 blocks:u32 version:u32 magic:u64 crc32c:u32      (36 bytes)
 * </pre>
 * Every block, the index block and the footer carry a CRC32C checked on read, so a flipped byte or a
 * truncated file is reported (naming the file) instead of answering wrongly. Keys are stored without the
 * segment's common prefix; the model is stored so opening a segment does not retrain it.
 */
final class SegmentFile {
    private static final byte[] HEADER = {'O', 'M', 'S', 'E', 'G', 0, 0, 1};
    private static final long FOOTER_MAGIC = 0x4f4d454e44425347L; // "OMENDBSG"
    private static final int FORMAT_VERSION = 1;
    private static final int FOOTER_BYTES = 36;
    private static final int BLOCK_HEADER_BYTES = 13;
    private static final byte CODEC_NONE = 0;
    private static final byte CODEC_ZSTD = 1;
    private static final int ZSTD_LEVEL = 1;
    private static final int RECORDS_PER_BLOCK_MAX = 1 << 20;

    private SegmentFile() {
    }

    static String fileName(long id) {
        return String.format("seg-%016d.oseg", id);
    }

    /**
     * Streams one segment to {@code file}: records are encoded into a data block as they are added and each block
     * goes to disk once it reaches {@code blockBytesTarget}, so the heap holds one block plus the keys, the small
     * values and the refs of large values ({@link SegmentBuilder}), never the segment's large values. The file is
     * created new; until {@link #finish} it has no footer, and {@link #close()} without {@code finish} deletes it
     * (and the engine deletes any segment file the manifest does not name when it opens).
     */
    static final class Writer implements AutoCloseable {
        private static final int OUT_BUFFER_BYTES = 1 << 16;
        private final Path file;
        private final long id;
        private final byte[] prefix;
        private final boolean compress;
        private final int blockBytesTarget;
        private final int valueBytesInlineMax;
        private final FileChannel ch;
        private final OutputStream out;
        private final SegmentBuilder b;
        private final ByteArrayOutputStream raw;
        private long pos;
        private long blockStart;
        private int blockRecords;
        private int blocks;
        private int rawBytesPeak;
        private boolean finished;

        /** Every key added must start with {@code prefix}; values longer than {@code valueBytesInlineMax} stay on disk. */
        Writer(Path file, long id, byte[] prefix, boolean compress, int blockBytesTarget, int valueBytesInlineMax)
                throws IOException {
            this.file = file;
            this.id = id;
            this.prefix = prefix;
            this.compress = compress;
            this.blockBytesTarget = blockBytesTarget;
            this.valueBytesInlineMax = valueBytesInlineMax;
            this.b = new SegmentBuilder(prefix);
            this.raw = new ByteArrayOutputStream(blockBytesTarget + 4096);
            this.ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            this.out = new BufferedOutputStream(Channels.newOutputStream(ch), OUT_BUFFER_BYTES);
            out.write(HEADER);
            pos = HEADER.length;
            blockStart = pos;
        }

        /** Appends a record; {@code value == null} is a tombstone. Keys must arrive in strictly ascending order. */
        void add(byte[] key, byte[] value) throws IOException {
            int suffixLen = key.length - prefix.length;
            writeVarint(raw, suffixLen);
            raw.write(key, prefix.length, suffixLen);
            if (value == null) {
                writeVarint(raw, 0);
                b.add(key, null);
            } else {
                writeVarint(raw, value.length + 1);
                if (value.length > valueBytesInlineMax) {
                    b.addRef(key, 0, key.length, blockStart, raw.size(), value.length);
                } else {
                    b.add(key, value);
                }
                raw.write(value, 0, value.length);
            }
            blockRecords++;
            if (raw.size() >= blockBytesTarget || blockRecords == RECORDS_PER_BLOCK_MAX) {
                writeCurrentBlock();
            }
        }

        private void writeCurrentBlock() throws IOException {
            rawBytesPeak = Math.max(rawBytesPeak, raw.size());
            int bytes = writeBlock(out, raw, blockRecords, compress);
            b.closeBlock(bytes);
            pos += bytes;
            blocks++;
            raw.reset();
            blockRecords = 0;
            blockStart = pos;
        }

        int count() {
            return b.count();
        }

        /** Keys + values added so far, inline or not. */
        long dataBytes() {
            return b.dataBytes();
        }

        /** Heap this writer holds: the builder's arrays, the largest block buffered, the output buffer. */
        long retainedBytes() {
            return b.retainedBytes() + Math.max(rawBytesPeak, raw.size()) + OUT_BUFFER_BYTES;
        }

        /**
         * Writes the last block, the index block ({@code indexer} trains the model on the key heads) and the
         * footer, fsyncs when asked, and returns the segment, which reads its large values from this file.
         */
        Segment finish(Function<long[], KeyIndex> indexer, long maxRaftIndex, boolean fsync) throws IOException {
            if (b.count() == 0) {
                throw new IllegalStateException("a segment holds at least one record");
            }
            if (blockRecords > 0) {
                writeCurrentBlock();
            }
            SegmentBuilder.Columns c = b.finish();
            KeyIndex index = indexer.apply(c.heads());
            long indexOffset = pos;
            ByteArrayOutputStream idx = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(idx);
            d.writeInt(prefix.length);
            d.write(prefix);
            d.writeInt(c.count());
            d.writeLong(maxRaftIndex);
            IndexCodec.write(index, d);
            d.flush();
            byte[] idxBytes = idx.toByteArray();
            out.write(ByteBuffer.allocate(4).putInt(idxBytes.length).array());
            out.write(idxBytes);
            out.write(ByteBuffer.allocate(4).putInt(crc(idxBytes, 0, idxBytes.length)).array());
            pos += 8 + idxBytes.length;
            ByteBuffer footer = ByteBuffer.allocate(FOOTER_BYTES);
            footer.putLong(indexOffset).putLong(c.count()).putInt(blocks).putInt(FORMAT_VERSION).putLong(FOOTER_MAGIC);
            footer.putInt(crc(footer.array(), 0, FOOTER_BYTES - 4));
            out.write(footer.array());
            pos += FOOTER_BYTES;
            out.flush();
            if (fsync) {
                ch.force(true);
            }
            finished = true;
            return openSegment(id, file, pos, maxRaftIndex, c, index, ch);
        }

        /** Deletes the file unless {@link #finish} succeeded. */
        @Override
        public void close() throws IOException {
            if (!finished) {
                ch.close();
                Files.deleteIfExists(file);
            }
        }
    }

    /** The segment keeps {@code ch} open (to read its large values) only when it has any. */
    private static Segment openSegment(long id, Path file, long size, long maxRaftIndex, SegmentBuilder.Columns c,
                                       KeyIndex index, FileChannel ch) throws IOException {
        if (c.refs().isEmpty()) {
            ch.close();
            return new Segment(id, file, size, maxRaftIndex, c, index, null);
        }
        return new Segment(id, file, size, maxRaftIndex, c, index, ch);
    }

    private static int writeBlock(OutputStream out, ByteArrayOutputStream raw, int records, boolean compress)
            throws IOException {
        byte[] rawBytes = raw.toByteArray();
        byte codec = CODEC_NONE;
        byte[] stored = rawBytes;
        if (compress) {
            byte[] z = Zstd.compress(rawBytes, ZSTD_LEVEL);
            if (z.length < rawBytes.length) {
                codec = CODEC_ZSTD;
                stored = z;
            }
        }
        ByteBuffer head = ByteBuffer.allocate(BLOCK_HEADER_BYTES);
        head.put(codec).putInt(rawBytes.length).putInt(stored.length).putInt(records);
        CRC32C crc = new CRC32C();
        crc.update(head.array());
        crc.update(stored);
        out.write(head.array());
        out.write(stored);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return BLOCK_HEADER_BYTES + stored.length + 4;
    }

    /**
     * Opens and verifies a segment file: every checksum is checked before any record is trusted. The file is
     * streamed block by block; keys and values up to {@code valueBytesInlineMax} bytes are loaded, larger values
     * are remembered by position and read (and verified again) when asked for.
     */
    static Segment read(Path file, long id, int valueBytesInlineMax) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return read(file, id, valueBytesInlineMax, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Segment read(Path file, long id, int valueBytesInlineMax, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < HEADER.length + FOOTER_BYTES + 8) {
            throw new CorruptDataException(file, "truncated: " + size + " bytes");
        }
        if (!Arrays.equals(readFully(file, ch, 0, HEADER.length), HEADER)) {
            throw new CorruptDataException(file, "bad header (not an OmenDB segment, or unknown format version)");
        }
        byte[] f = readFully(file, ch, size - FOOTER_BYTES, FOOTER_BYTES);
        ByteBuffer footer = ByteBuffer.wrap(f);
        long indexOffset = footer.getLong();
        long count = footer.getLong();
        int blocks = footer.getInt();
        int version = footer.getInt();
        long magic = footer.getLong();
        if (magic != FOOTER_MAGIC || footer.getInt() != crc(f, 0, FOOTER_BYTES - 4)) {
            throw new CorruptDataException(file, "footer checksum mismatch (file truncated or overwritten)");
        }
        long idxLenExpected = size - FOOTER_BYTES - 8 - indexOffset;
        if (version != FORMAT_VERSION || indexOffset < HEADER.length || idxLenExpected < 0
                || idxLenExpected > Integer.MAX_VALUE || count < 1 || count > Integer.MAX_VALUE || blocks < 1) {
            throw new CorruptDataException(file, "footer fields out of range");
        }
        byte[] idx = readFully(file, ch, indexOffset, (int) idxLenExpected + 8);
        ByteBuffer ib = ByteBuffer.wrap(idx);
        int idxLen = ib.getInt();
        if (idxLen != idxLenExpected) {
            throw new CorruptDataException(file, "index block length mismatch");
        }
        if (ByteBuffer.wrap(idx, 4 + idxLen, 4).getInt() != crc(idx, 4, idxLen)) {
            throw new CorruptDataException(file, "index block checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(idx, 4, idxLen));
        int plen = in.readInt();
        if (plen < 0 || plen > idxLen) {
            throw new CorruptDataException(file, "bad prefix length");
        }
        byte[] prefix = in.readNBytes(plen);
        int n = in.readInt();
        long maxRaftIndex = in.readLong();
        if (n != count) {
            throw new CorruptDataException(file, "record count mismatch between footer and index");
        }
        SegmentBuilder b = new SegmentBuilder(prefix);
        readBlocks(file, ch, indexOffset, blocks, prefix, b, valueBytesInlineMax);
        if (b.count() != n) {
            throw new CorruptDataException(file, "expected " + n + " records, found " + b.count());
        }
        SegmentBuilder.Columns cols = b.finish();
        KeyIndex index;
        try {
            index = IndexCodec.read(in, cols.heads());
        } catch (IOException e) {
            throw new CorruptDataException(file, "bad model: " + e.getMessage());
        }
        return openSegment(id, file, size, maxRaftIndex, cols, index, ch);
    }

    private static void readBlocks(Path file, FileChannel ch, long end, int blocks, byte[] prefix, SegmentBuilder b,
                                   int valueBytesInlineMax) throws IOException {
        long pos = HEADER.length;
        byte[] key = new byte[256];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        for (int blk = 0; blk < blocks; blk++) {
            if (pos + BLOCK_HEADER_BYTES + 4 > end) {
                throw new CorruptDataException(file, "block " + blk + " truncated");
            }
            int storedLen = ByteBuffer.wrap(readFully(file, ch, pos, BLOCK_HEADER_BYTES)).getInt(5);
            if (storedLen < 0 || pos + BLOCK_HEADER_BYTES + storedLen + 4 > end) {
                throw new CorruptDataException(file, "block " + blk + " header out of range");
            }
            int blockLen = BLOCK_HEADER_BYTES + storedLen + 4;
            Block block = decodeBlock(file, "block " + blk, readFully(file, ch, pos, blockLen));
            byte[] raw = block.raw;
            int[] cursor = {block.rawFrom};
            int rawEnd = block.rawFrom + block.rawLen;
            for (int r = 0; r < block.records; r++) {
                int kLen = readVarint(file, raw, cursor, rawEnd);
                if (kLen < 0 || cursor[0] + kLen > rawEnd) {
                    throw new CorruptDataException(file, "record overruns block " + blk);
                }
                if (prefix.length + kLen > key.length) {
                    key = Arrays.copyOf(key, prefix.length + kLen);
                }
                System.arraycopy(raw, cursor[0], key, prefix.length, kLen);
                cursor[0] += kLen;
                int vLen = readVarint(file, raw, cursor, rawEnd) - 1;
                if (vLen > 0 && cursor[0] + vLen > rawEnd) {
                    throw new CorruptDataException(file, "record overruns block " + blk);
                }
                if (vLen > valueBytesInlineMax) {
                    b.addRef(key, 0, prefix.length + kLen, pos, cursor[0] - block.rawFrom, vLen);
                } else {
                    b.add(key, 0, prefix.length + kLen, raw, cursor[0], vLen);
                }
                cursor[0] += Math.max(0, vLen);
            }
            if (cursor[0] != rawEnd) {
                throw new CorruptDataException(file, "block " + blk + " has trailing bytes");
            }
            b.closeBlock(blockLen);
            pos += blockLen;
        }
        if (pos != end) {
            throw new CorruptDataException(file, "bytes between last block and index");
        }
    }

    /**
     * Reads one large value: the whole block holding it (one positional read), whose checksum is verified again,
     * so a byte flipped on disk after the segment was opened is reported instead of returned.
     */
    static byte[] readValue(Path file, FileChannel ch, ValueRefs refs, int ref) throws IOException {
        long blockPos = refs.blockPos(ref);
        Block block = decodeBlock(file, "block at offset " + blockPos, readFully(file, ch, blockPos, refs.blockLen(ref)));
        int from = block.rawFrom + refs.offset(ref);
        int len = refs.length(ref);
        if (refs.offset(ref) + len > block.rawLen) {
            throw new CorruptDataException(file, "value overruns block at offset " + blockPos);
        }
        return Arrays.copyOfRange(block.raw, from, from + len);
    }

    /** A verified, decompressed block: its raw payload is {@code raw[rawFrom, rawFrom + rawLen)}. */
    private record Block(byte[] raw, int rawFrom, int rawLen, int records) {
    }

    /** Checks the CRC32C of the block in {@code a} (header, payload, checksum) and decompresses its payload. */
    private static Block decodeBlock(Path file, String which, byte[] a) throws CorruptDataException {
        ByteBuffer h = ByteBuffer.wrap(a, 0, BLOCK_HEADER_BYTES);
        byte codec = h.get();
        int rawLen = h.getInt();
        int storedLen = h.getInt();
        int records = h.getInt();
        if (storedLen != a.length - BLOCK_HEADER_BYTES - 4 || rawLen < 0 || records < 1) {
            throw new CorruptDataException(file, which + " header out of range");
        }
        if (ByteBuffer.wrap(a, a.length - 4, 4).getInt() != crc(a, 0, a.length - 4)) {
            throw new CorruptDataException(file, which + " checksum mismatch");
        }
        if (codec == CODEC_NONE) {
            if (rawLen != storedLen) {
                throw new CorruptDataException(file, which + " raw length mismatch");
            }
            return new Block(a, BLOCK_HEADER_BYTES, rawLen, records);
        }
        if (codec == CODEC_ZSTD) {
            byte[] raw = Zstd.decompress(Arrays.copyOfRange(a, BLOCK_HEADER_BYTES, BLOCK_HEADER_BYTES + storedLen), rawLen);
            if (raw.length != rawLen) {
                throw new CorruptDataException(file, which + " decompressed to " + raw.length + " bytes, not " + rawLen);
            }
            return new Block(raw, 0, rawLen, records);
        }
        throw new CorruptDataException(file, which + " has unknown codec " + codec);
    }

    private static byte[] readFully(Path file, FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(len);
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                throw new CorruptDataException(file, "truncated at offset " + (pos + buf.position()));
            }
        }
        return buf.array();
    }

    private static void writeVarint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private static int readVarint(Path file, byte[] a, int[] cursor, int end) throws CorruptDataException {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (cursor[0] >= end) {
                throw new CorruptDataException(file, "varint overruns block");
            }
            byte b = a[cursor[0]++];
            v |= (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new CorruptDataException(file, "varint too long");
    }

    static int crc(byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(a, off, len);
        return (int) c.getValue();
    }
}
