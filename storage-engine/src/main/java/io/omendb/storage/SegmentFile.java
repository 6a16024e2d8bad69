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
import java.util.zip.CRC32C;

/**
 * The on-disk form of a segment, and the only code that reads or writes it.
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

    /** Writes the columns and their index to {@code file} (fsynced when asked) and returns the file size. */
    static long write(Path file, SegmentBuilder.Columns c, KeyIndex index, long maxRaftIndex, boolean compress,
                      int blockBytesTarget, boolean fsync) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
            long pos = HEADER.length;
            out.write(HEADER);
            int plen = c.prefix().length;
            ByteArrayOutputStream raw = new ByteArrayOutputStream(blockBytesTarget + 4096);
            int blockRecords = 0;
            int blocks = 0;
            for (int i = 0; i < c.count(); i++) {
                int kFrom = c.keyOff()[i] + plen;
                int kLen = c.keyOff()[i + 1] - kFrom;
                writeVarint(raw, kLen);
                raw.write(c.keyBlob(), kFrom, kLen);
                boolean tomb = c.tombstones() != null && (c.tombstones()[i >>> 6] & (1L << i)) != 0;
                int vFrom = c.valOff()[i];
                int vLen = c.valOff()[i + 1] - vFrom;
                writeVarint(raw, tomb ? 0 : vLen + 1);
                if (!tomb) {
                    raw.write(c.valBlob(), vFrom, vLen);
                }
                blockRecords++;
                if (raw.size() >= blockBytesTarget || blockRecords == RECORDS_PER_BLOCK_MAX) {
                    pos += writeBlock(out, raw, blockRecords, compress);
                    blocks++;
                    raw.reset();
                    blockRecords = 0;
                }
            }
            if (blockRecords > 0) {
                pos += writeBlock(out, raw, blockRecords, compress);
                blocks++;
            }
            long indexOffset = pos;
            ByteArrayOutputStream idx = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(idx);
            d.writeInt(plen);
            d.write(c.prefix());
            d.writeInt(c.count());
            d.writeLong(maxRaftIndex);
            IndexCodec.write(index, d);
            d.flush();
            byte[] idxBytes = idx.toByteArray();
            ByteBuffer lenBuf = ByteBuffer.allocate(4).putInt(idxBytes.length);
            out.write(lenBuf.array());
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
            return pos;
        }
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

    /** Reads and verifies a whole segment file; every checksum is checked before any record is trusted. */
    static Segment read(Path file, long id) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (OutOfMemoryError e) {
            throw new IOException("segment " + file + " is too large to load", e);
        }
        if (all.length < HEADER.length + FOOTER_BYTES + 8) {
            throw new CorruptDataException(file, "truncated: " + all.length + " bytes");
        }
        for (int i = 0; i < HEADER.length; i++) {
            if (all[i] != HEADER[i]) {
                throw new CorruptDataException(file, "bad header (not an OmenDB segment, or unknown format version)");
            }
        }
        ByteBuffer footer = ByteBuffer.wrap(all, all.length - FOOTER_BYTES, FOOTER_BYTES);
        int footerCrc = crc(all, all.length - FOOTER_BYTES, FOOTER_BYTES - 4);
        long indexOffset = footer.getLong();
        long count = footer.getLong();
        int blocks = footer.getInt();
        int version = footer.getInt();
        long magic = footer.getLong();
        if (magic != FOOTER_MAGIC || footer.getInt() != footerCrc) {
            throw new CorruptDataException(file, "footer checksum mismatch (file truncated or overwritten)");
        }
        if (version != FORMAT_VERSION || indexOffset < HEADER.length || indexOffset > all.length - FOOTER_BYTES - 8
                || count < 1 || count > Integer.MAX_VALUE || blocks < 1) {
            throw new CorruptDataException(file, "footer fields out of range");
        }
        ByteBuffer ib = ByteBuffer.wrap(all, (int) indexOffset, all.length - FOOTER_BYTES - (int) indexOffset);
        int idxLen = ib.getInt();
        if (idxLen < 0 || idxLen != ib.remaining() - 4) {
            throw new CorruptDataException(file, "index block length mismatch");
        }
        int idxFrom = (int) indexOffset + 4;
        if (ByteBuffer.wrap(all, idxFrom + idxLen, 4).getInt() != crc(all, idxFrom, idxLen)) {
            throw new CorruptDataException(file, "index block checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, idxFrom, idxLen));
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
        SegmentBuilder b = new SegmentBuilder();
        readBlocks(file, all, (int) indexOffset, blocks, prefix, b);
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
        return new Segment(id, file, all.length, maxRaftIndex, cols, index);
    }

    private static void readBlocks(Path file, byte[] all, int end, int blocks, byte[] prefix, SegmentBuilder b)
            throws CorruptDataException {
        int pos = HEADER.length;
        byte[] key = new byte[256];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        for (int blk = 0; blk < blocks; blk++) {
            if (pos + BLOCK_HEADER_BYTES + 4 > end) {
                throw new CorruptDataException(file, "block " + blk + " truncated");
            }
            ByteBuffer h = ByteBuffer.wrap(all, pos, BLOCK_HEADER_BYTES);
            byte codec = h.get();
            int rawLen = h.getInt();
            int storedLen = h.getInt();
            int records = h.getInt();
            int payloadFrom = pos + BLOCK_HEADER_BYTES;
            if (storedLen < 0 || rawLen < 0 || records < 1 || payloadFrom + storedLen + 4 > end) {
                throw new CorruptDataException(file, "block " + blk + " header out of range");
            }
            if (ByteBuffer.wrap(all, payloadFrom + storedLen, 4).getInt() != crc(all, pos, BLOCK_HEADER_BYTES + storedLen)) {
                throw new CorruptDataException(file, "block " + blk + " checksum mismatch");
            }
            byte[] raw;
            int rawFrom;
            if (codec == CODEC_NONE) {
                raw = all;
                rawFrom = payloadFrom;
            } else if (codec == CODEC_ZSTD) {
                raw = Zstd.decompress(Arrays.copyOfRange(all, payloadFrom, payloadFrom + storedLen), rawLen);
                rawFrom = 0;
            } else {
                throw new CorruptDataException(file, "block " + blk + " has unknown codec " + codec);
            }
            int[] cursor = {rawFrom};
            int rawEnd = rawFrom + rawLen;
            for (int r = 0; r < records; r++) {
                int kLen = readVarint(file, raw, cursor, rawEnd);
                if (cursor[0] + kLen > rawEnd) {
                    throw new CorruptDataException(file, "record overruns block " + blk);
                }
                if (prefix.length + kLen > key.length) {
                    key = Arrays.copyOf(key, prefix.length + kLen);
                }
                System.arraycopy(raw, cursor[0], key, prefix.length, kLen);
                cursor[0] += kLen;
                int vCode = readVarint(file, raw, cursor, rawEnd);
                int vLen = vCode - 1;
                if (vLen > 0 && cursor[0] + vLen > rawEnd) {
                    throw new CorruptDataException(file, "record overruns block " + blk);
                }
                b.add(key, 0, prefix.length + kLen, raw, cursor[0], vLen);
                cursor[0] += Math.max(0, vLen);
            }
            if (cursor[0] != rawEnd) {
                throw new CorruptDataException(file, "block " + blk + " has trailing bytes");
            }
            pos = payloadFrom + storedLen + 4;
        }
        if (pos != end) {
            throw new CorruptDataException(file, "bytes between last block and index");
        }
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
