package io.omendb.raft.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.storage.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Hostile frames for every decoder a replica or client runs on bytes from the network or the log: random frames,
 * valid frames with random mutations (byte flips, insertions, deletions, truncations, splices, huge length
 * fields), each decoded by every decoder. The property: a decoder returns a value or throws
 * {@link CorruptFrameException} — never another exception, never an OutOfMemoryError from a lying length.
 * Seeded: a failure names the seed and case, so it replays exactly ({@code -Dcodec.seed=...}).
 */
class CodecPropertyTest {
    private static final long SEED = Long.getLong("codec.seed", 0x5EC0_7E57L);
    private static final int CASES = 2_000;
    private static final int FRAME_BYTES_MAX = 300;

    private static final List<Function<byte[], ?>> DECODERS = List.of(CommandCodec::decode,
            CommandCodec::decodeResult, QueryCodec::decode, QueryCodec::decodeResult, RangeDescriptorCodec::decode);

    @Test
    void randomAndMutatedFramesDecodeOrThrowOnlyCorruptFrame() {
        Random random = new Random(SEED);
        List<byte[]> valid = validFrames(random);
        for (int i = 0; i < CASES; i++) {
            byte[] frame = i % 4 == 0 ? randomBytes(random, random.nextInt(FRAME_BYTES_MAX))
                    : mutate(random, valid.get(random.nextInt(valid.size())));
            for (Function<byte[], ?> decoder : DECODERS) {
                try {
                    decoder.apply(frame);
                } catch (CorruptFrameException expected) {
                    // the declared refusal
                } catch (RuntimeException | Error e) {
                    fail("seed " + SEED + " case " + i + ": " + e + " decoding " + java.util.HexFormat.of()
                            .formatHex(frame), e);
                }
            }
        }
    }

    @Test
    void randomValidCommandsRoundTrip() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 500; i++) {
            Command c = randomCommand(random);
            byte[] frame = CommandCodec.encode(c);
            assertArrayEquals(frame, CommandCodec.encode(CommandCodec.decode(frame)), "seed " + SEED + " case " + i);
        }
    }

    private static List<byte[]> validFrames(Random random) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            out.add(CommandCodec.encode(randomCommand(random)));
        }
        out.add(CommandCodec.encodeResult(new CommandResult.CasOutcome(3, true, bytes(random, 5))));
        out.add(QueryCodec.encode(new Query.Scan(bytes(random, 3), null, 10)));
        out.add(QueryCodec.encode(new Query.Get(bytes(random, 4))));
        return out;
    }

    private static Command randomCommand(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> new Command.Put(bytes(random, 20), bytes(random, 40));
            case 1 -> new Command.Delete(bytes(random, 20));
            case 2 -> new Command.CompareAndSet(bytes(random, 10), random.nextBoolean() ? null : bytes(random, 10),
                    random.nextBoolean() ? null : bytes(random, 10));
            case 3 -> new Command.DeleteRange(bytes(random, 5), bytes(random, 5));
            default -> {
                List<WriteBatch.Op> ops = new ArrayList<>();
                for (int i = random.nextInt(5); i > 0; i--) {
                    ops.add(random.nextBoolean() ? new WriteBatch.Put(bytes(random, 8), bytes(random, 8))
                            : new WriteBatch.Delete(bytes(random, 8)));
                }
                yield new Command.Batch(ops);
            }
        };
    }

    private static byte[] mutate(Random random, byte[] frame) {
        byte[] out = frame.clone();
        for (int m = 1 + random.nextInt(3); m > 0 && out.length > 0; m--) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(5)) {
                case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> out = java.util.Arrays.copyOf(out, at);
                case 2 -> {
                    byte[] longer = new byte[out.length + 1];
                    System.arraycopy(out, 0, longer, 0, at);
                    longer[at] = (byte) random.nextInt(256);
                    System.arraycopy(out, at, longer, at + 1, out.length - at);
                    out = longer;
                }
                case 3 -> {
                    // a length or count field claiming ~2^31: must not allocate it
                    for (int k = 0; k < 4 && at + k < out.length; k++) {
                        out[at + k] = k == 0 ? (byte) 0x7f : (byte) 0xff;
                    }
                }
                default -> out[at] = (byte) random.nextInt(256);
            }
        }
        return out;
    }

    private static byte[] bytes(Random random, int maxLength) {
        return randomBytes(random, random.nextInt(maxLength + 1));
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }
}
