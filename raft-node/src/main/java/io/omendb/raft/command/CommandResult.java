package io.omendb.raft.command;

import java.util.List;
import java.util.Objects;

/**
 * What applying a {@link Command} produced, returned to the client that proposed it. {@code revision} is the Raft
 * log index of the command: totally ordered within a range, usable as a minimum index for a later stale read.
 */
public sealed interface CommandResult {
    long revision();

    /** Put, batch, delete-range, maintenance. */
    record Written(long revision) implements CommandResult {
    }

    record Deleted(long revision, boolean existed) implements CommandResult {
    }

    /** {@code current} is the value after evaluation: the new value on success, the unchanged one on failure. */
    record CasOutcome(long revision, boolean succeeded, byte[] current) implements CommandResult {
    }

    /** The outcomes of a {@link Command.Group}'s members, in member order; all share the group's revision. */
    record Grouped(long revision, List<CommandResult> results) implements CommandResult {
        public Grouped {
            results = List.copyOf(results);
        }
    }

    /**
     * The replica refused the write (a key outside its range, or routed by a stale epoch) and changed nothing: the same
     * decision on every replica, taken at apply time on the descriptor the replica has at this index. The sender
     * refreshes its range table and sends the write again.
     */
    record Refused(long revision, RangeRefusal refusal) implements CommandResult {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
        }
    }

    /**
     * The entry was already contained in the engine when it was replayed after a restart, so its original outcome
     * is unknown here. Only a client whose request is answered by replay can see this.
     */
    record AlreadyApplied(long revision) implements CommandResult {
    }
}
