package io.omendb.linearizability;


import java.util.Objects;

/**
 * The sequential specification of one key: a register holding a value or nothing, with put, get, delete and
 * compare-and-set. {@link #step} says whether an operation's observed result is legal in a state and what state it
 * leaves. Operations with an unknown outcome accept any result: they do what the register would do.
 */
final class RegisterModel {
    /** The result of applying one operation: whether it was legal, and the state after it. */
    record Step(boolean legal, String state) {
        static final Step ILLEGAL = new Step(false, null);
    }

    private RegisterModel() {
    }

    static Step step(String state, Op op) {
        boolean known = op.outcome() == Op.Outcome.OK;
        return switch (op.type()) {
            case PUT -> new Step(true, op.value());
            case GET -> Objects.equals(state, op.result()) ? new Step(true, state) : Step.ILLEGAL;
            case DELETE -> !known || op.flag() == (state != null) ? new Step(true, null) : Step.ILLEGAL;
            case CAS -> cas(state, op, known);
        };
    }

    private static Step cas(String state, Op op, boolean known) {
        boolean matches = Objects.equals(state, op.expected());
        if (!known) {
            return new Step(true, matches ? op.value() : state);
        }
        if (op.flag() != matches) {
            return Step.ILLEGAL;
        }
        String after = matches ? op.value() : state;
        return Objects.equals(after, op.result()) ? new Step(true, after) : Step.ILLEGAL;
    }
}
