package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalLayoutTest {
    @TempDir
    Path dir;

    @Test
    void splitPointsSpreadOverLowercaseLetters() {
        assertEquals(List.of("g", "n", "t"), LocalLayout.splitPoints(4).stream().map(String::new).toList());
        assertEquals(0, LocalLayout.splitPoints(1).size());
    }

    @Test
    void aboveTwentySixRangesSplitPointsAreTwoByteAscendingDistinctAndEven() {
        List<byte[]> points = LocalLayout.splitPoints(LocalLayout.RANGES_MAX);
        assertEquals(LocalLayout.RANGES_MAX - 1, points.size());
        for (int i = 0; i < points.size(); i++) {
            assertEquals(2, points.get(i).length);
            int prefix = ((points.get(i)[0] & 0xff) << 8) | (points.get(i)[1] & 0xff);
            assertEquals((i + 1) * 64, prefix, "1,024 ranges cut 0x0000..0xffff into 64-value slices");
            if (i > 0) {
                assertTrue(Arrays.compareUnsigned(points.get(i - 1), points.get(i)) < 0, "ascending and distinct");
            }
        }
        List<byte[]> twentySeven = LocalLayout.splitPoints(27);
        assertEquals(26, twentySeven.size());
        assertArrayEquals(new byte[] {(byte) 0x09, (byte) 0x7b}, twentySeven.get(0));
        assertArrayEquals(new byte[] {(byte) 0xf6, (byte) 0x84}, twentySeven.get(25));
    }

    @Test
    void aDataDirWrittenBeforeTwoBytePointsRestartsWithTheSameLetterPoints() throws Exception {
        Files.writeString(dir.resolve(LocalLayout.FILE_NAME), "#omendb local cluster layout\n"
                + "nodes=3\nranges=26\nraft_ports=41001,41002,41003\n");
        LocalLayout stored = LocalLayout.loadOrCreate(dir, null, null, 3, 4);
        assertEquals(26, stored.ranges());
        assertArrayEquals(new int[] {41001, 41002, 41003}, stored.raftPorts());
        List<String> letters = LocalLayout.splitPoints(stored.ranges()).stream().map(String::new).toList();
        assertEquals(25, letters.size());
        assertEquals("b", letters.get(0));
        assertEquals("z", letters.get(24));
    }

    @Test
    void moreRangesThanTheLimitAreRefusedNamingTheLimit() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> LocalLayout.loadOrCreate(dir, 3, LocalLayout.RANGES_MAX + 1, 3, 4));
        assertEquals("--ranges", e.key());
        assertTrue(e.getMessage().contains("[1, 1024] ranges"), e.getMessage());
    }

    @Test
    void layoutIsStoredAndReusedSoPortsStayStable() throws Exception {
        LocalLayout created = LocalLayout.loadOrCreate(dir, 3, 4, 3, 4);
        LocalLayout again = LocalLayout.loadOrCreate(dir, null, null, 5, 5);
        assertEquals(3, again.nodes());
        assertEquals(4, again.ranges());
        assertArrayEquals(created.raftPorts(), again.raftPorts());
    }

    @Test
    void flagsContradictingTheDataDirAreRefusedNamingTheFlag() throws Exception {
        LocalLayout.loadOrCreate(dir, 3, 4, 3, 4);
        ConfigException e = assertThrows(ConfigException.class, () -> LocalLayout.loadOrCreate(dir, 5, null, 3, 4));
        assertEquals("--nodes", e.key());
        assertEquals("--ranges", assertThrows(ConfigException.class,
                () -> LocalLayout.loadOrCreate(dir.resolve("fresh"), 3, 0, 3, 4)).key());
    }
}
