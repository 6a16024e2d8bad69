package io.omendb.raft.client;

import io.omendb.config.OmenConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MemberDirectoryTest {
    private static final OmenConfig.Member N1 = new OmenConfig.Member("n1", "h1:7000", "h1:3000", "a");
    private static final OmenConfig.Member N2 = new OmenConfig.Member("n2", "h2:7000", "h2:3000");

    @Test
    void aConfiguredMemberKeepsItsAddressesButTakesTheZoneItRegistered() {
        MemberDirectory d = new MemberDirectory(List.of(N1, N2));
        assertEquals(List.of(N1, N2), d.all(), "before any registration: as configured");
        d.learn(List.of(new OmenConfig.Member("n1", "elsewhere:1", "", "b"), N2.withZone("c")));
        assertEquals(List.of(N1.withZone("b"), N2.withZone("c")), d.all());
        assertEquals(N2.withZone("c"), d.member("n2").orElseThrow());
    }

    @Test
    void aRecordWithoutAZoneLeavesTheConfiguredOne() {
        MemberDirectory d = new MemberDirectory(List.of(N1, N2));
        d.learn(List.of(N1.withZone(""), N2));
        assertEquals(List.of(N1, N2), d.all());
    }

    @Test
    void aJoinedMemberIsListedAfterTheConfiguredOnesAsItRegistered() {
        MemberDirectory d = new MemberDirectory(List.of(N1, N2));
        OmenConfig.Member n4 = new OmenConfig.Member("n4", "h4:7000", "", "d");
        d.learn(List.of(N1, n4, N2));
        assertEquals(List.of(N1, N2, n4), d.all());
        assertEquals(n4, d.member("n4").orElseThrow());
        d.learn(List.of(N1, N2));
        assertEquals(List.of(N1, N2), d.all(), "what the registry no longer holds is forgotten");
    }
}
