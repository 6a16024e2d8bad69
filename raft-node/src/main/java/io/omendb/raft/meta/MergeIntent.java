package io.omendb.raft.meta;

import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A merge's claim on its target range, in the meta group: only the merge holding it copies records into the target,
 * so two merges into one range (an operator's and an automatic one, or two nodes' automatic ones around a leadership
 * change) can never interleave their copies. Written by compare-and-set before the first record is copied, removed by
 * the merge's commit point (the same compare-and-set that changes the table, which expects exactly this claim) or by
 * its abandonment. A proposer that dies leaves a claim that another merge may take over once
 * {@code expiresAtMs} (wall clock) has passed; safety does not depend on clocks — a merge whose claim was taken over
 * fails at its commit point, whose compare-and-set expects its own claim. Stored under
 * {@code "merging/" + targetRangeId (8 bytes, big-endian)} as a checksummed frame. Immutable.
 *
 * @param token       drawn at random by the merge: makes the claim's value its own, so that a merge whose claim was
 *                    taken over fails at its commit point. Not the merge's id: that is the meta group's log index of
 *                    this claim (so ids grow with each claim, {@code Command.MergeData#idOfClaim}); builds before
 *                    ordered ids used the token as the id.
 * @param expiresAtMs when another merge may take the claim over (ms since the epoch)
 */
public record MergeIntent(long token, long expiresAtMs) {
    public static final byte[] KEY_PREFIX = "merging/".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 3;

    public static byte[] key(long targetRangeId) {
        return ByteBuffer.allocate(KEY_PREFIX.length + Long.BYTES).put(KEY_PREFIX).putLong(targetRangeId).array();
    }

    public byte[] encode() {
        return new FrameWriter(KIND).writeVarLong(token).writeVarLong(expiresAtMs).finish();
    }

    public static MergeIntent decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND) {
            throw new CorruptFrameException("unknown merge intent kind " + r.kind());
        }
        MergeIntent i = new MergeIntent(r.readVarLong(), r.readVarLong());
        r.expectEnd();
        return i;
    }
}
