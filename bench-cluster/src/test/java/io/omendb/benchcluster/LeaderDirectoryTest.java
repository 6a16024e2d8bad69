package io.omendb.benchcluster;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeaderDirectoryTest {
    private static final String LISTING = "{\"ranges\":["
            + "{\"id\":1,\"start\":\"\",\"end\":\"g\",\"leader\":\"n2\",\"peers\":[\"n1\",\"n2\",\"n3\"]},"
            + "{\"id\":2,\"start\":\"g\",\"end\":\"p\",\"leader\":null,\"peers\":[\"n1\",\"n2\",\"n3\"]},"
            + "{\"id\":3,\"start\":\"p\",\"end\":null,\"leader\":\"n3\",\"peers\":[\"n1\",\"n2\",\"n3\"]}]}";

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void routesEachKeyToItsRangeLeaderAndNothingBeforeAListing() {
        LeaderDirectory d = new LeaderDirectory(List.of("g", "p"), 3);
        assertEquals(-1, d.nodeFor(key("a")));
        assertEquals("? ? ?", d.describe());
        assertTrue(d.update(LISTING));
        assertEquals("n2 ? n3", d.describe(), "the layout the benchmark prints");
        assertEquals(1, d.nodeFor(key("a")));
        assertEquals(1, d.nodeFor(key("fzz")));
        assertEquals(-1, d.nodeFor(key("g")), "range 2 has no leader: any node");
        assertEquals(2, d.nodeFor(key("p")), "a split point belongs to the range it starts");
        assertEquals(2, d.nodeFor(key("zzz")));
    }

    @Test
    void keepsWhatItKnewWhenTheListingDoesNotMatchTheRanges() {
        LeaderDirectory d = new LeaderDirectory(List.of("g", "p"), 3);
        assertTrue(d.update(LISTING));
        assertFalse(d.update("{\"ranges\":[{\"id\":1,\"leader\":\"n1\"}]}"));
        assertEquals(1, d.nodeFor(key("a")));
        assertTrue(d.update(LISTING.replace("\"n3\",\"n2\"", "x").replace("\"leader\":\"n3\"", "\"leader\":\"n9\"")));
        assertEquals(-1, d.nodeFor(key("zzz")), "a node id outside the cluster is not used");
    }
}
