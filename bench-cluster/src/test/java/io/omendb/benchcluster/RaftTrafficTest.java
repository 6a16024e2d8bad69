package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RaftTrafficTest {
    private static final String INFO = "\t bbr wscale:10,10 rto:208 mss:32768 cwnd:14 bytes_sent:%d bytes_acked:600"
            + " bytes_received:317 segs_out:70 segs_in:9 data_segs_out:%d data_segs_in:4 send 704688172bps\n";

    private static String socket(String local, String peer, long pid, long bytes, long segments) {
        return "0      0       [::ffff:127.0.0.1]:" + local + "   [::ffff:127.0.0.1]:" + peer
                + " users:((\"java\",pid=" + pid + ",fd=105))\n" + String.format(INFO, bytes, segments);
    }

    @Test
    void sentBytesAndDataSegmentsAreSummedPerProcessOverRaftSocketsOnly() {
        String ss = socket("40001", "51000", 11, 1000, 10)   // n1 serving a peer on its Raft port
                + socket("51000", "40001", 12, 300, 3)       // that peer's client end
                + socket("52000", "40002", 11, 500, 5)       // n1 as client of n2's Raft port
                + socket("3000", "53000", 11, 9999, 99)      // HTTP: not Raft
                + "0      0       127.0.0.1:40003   127.0.0.1:54000\n" + String.format(INFO, 7, 7); // no process
        Map<Long, RaftTraffic.Sent> sent = RaftTraffic.parse(ss, Set.of(40001, 40002, 40003));
        assertEquals(Map.of(11L, new RaftTraffic.Sent(1500, 15), 12L, new RaftTraffic.Sent(300, 3)), sent);
    }
}
