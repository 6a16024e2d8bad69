package io.omendb.raft.command;

import io.omendb.raft.wire.FrameWriter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The backup checkpoint command: round trip, and ids that would escape the backup directory are refused. */
class CheckpointCommandTest {
    @Test
    void roundTrips() {
        Command.Checkpoint c = new Command.Checkpoint("shop-20261126T120000.123Z-full");
        assertEquals(c, CommandCodec.decode(CommandCodec.encode(c)));
    }

    @Test
    void refusesIdsThatAreNotPlainNames() {
        for (String bad : new String[] {"", "..", "../x", "a/b", ".hidden", "x y", "a".repeat(101)}) {
            assertThrows(IllegalArgumentException.class, () -> new Command.Checkpoint(bad), bad);
        }
        // a frame carrying a bad id (e.g. from a buggy or hostile client) does not decode
        byte[] frame = new FrameWriter(7).writeBytes("../../etc".getBytes(StandardCharsets.UTF_8)).finish();
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(frame));
    }
}
