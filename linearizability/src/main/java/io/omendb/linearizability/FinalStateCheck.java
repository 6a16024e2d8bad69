package io.omendb.linearizability;


import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the final contents of the store (one full linearizable scan after healing, with no writes in flight)
 * against the history:
 * <ul>
 *   <li><b>lost acknowledged writes</b> (RPO): an acknowledged write (PUT, successful CAS, DELETE) whose value is
 *       not the key's final value although no other write that may have taken effect could have followed it
 *       (every other such write completed before it was invoked);</li>
 *   <li><b>phantoms</b>: a final value that no operation ever tried to write to that key, or a key that no
 *       operation ever touched.</li>
 * </ul>
 * Stateless.
 */
public final class FinalStateCheck {
    public record Problem(String key, String kind, String detail) {
    }

    private FinalStateCheck() {
    }

    /** {@code finalValues}: every key present at the end and its value (absent keys are absent). */
    public static List<Problem> lostAcknowledgedWrites(Map<String, List<Op>> byKey, Map<String, String> finalValues) {
        List<Problem> out = new ArrayList<>();
        byKey.forEach((key, ops) -> {
            String last = finalValues.get(key);
            for (Op w : ops) {
                if (w.outcome() != Op.Outcome.OK || !w.mayWrite()) {
                    continue;
                }
                boolean survives = java.util.Objects.equals(last, w.writtenValue());
                boolean couldBeOverwritten = ops.stream().anyMatch(o -> o != w && o.mayWrite()
                        && o.completeNs() > w.invokeNs());
                if (!survives && !couldBeOverwritten) {
                    out.add(new Problem(key, "lost_acknowledged_write", w + " but the final value is " + last));
                }
            }
        });
        return out;
    }

    public static List<Problem> phantoms(Map<String, List<Op>> byKey, Map<String, String> finalValues) {
        List<Problem> out = new ArrayList<>();
        finalValues.forEach((key, value) -> {
            List<Op> ops = byKey.get(key);
            if (ops == null) {
                out.add(new Problem(key, "phantom_key", "no operation touched this key; its value is " + value));
                return;
            }
            Set<String> attempted = new HashSet<>();
            ops.stream().filter(o -> o.type() == Op.Type.PUT || o.type() == Op.Type.CAS).forEach(o -> attempted.add(o.value()));
            if (!attempted.contains(value)) {
                out.add(new Problem(key, "phantom_value", "final value " + value + " was never written to this key"));
            }
        });
        return out;
    }
}
