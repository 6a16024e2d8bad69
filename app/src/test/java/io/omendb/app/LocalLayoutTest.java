package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.omendb.config.ConfigException;
import java.nio.file.Path;
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
