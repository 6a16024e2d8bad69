package io.omendb.raft.client;

/**
 * One cluster member as {@code GET /admin/nodes} shows it.
 *
 * @param nodeId            the member's id
 * @param raftAddress       its Raft address ({@code host:port})
 * @param httpAddressOrNull its HTTP address, or null when the configuration gives none
 * @param zone              its zone as registered (else as configured); "" when it has none
 * @param state             {@code live} (answers), {@code suspect} (does not answer), or as recorded in the meta
 *                          group: {@code draining}, {@code removed}, {@code dead}
 * @param incarnationOrNull the incarnation of its data directory the meta group records (16 hex digits), or null
 *                          before the node recorded one
 * @param replicas          range replicas the range table places on it (what a drain waits to reach 0)
 * @param leaders           ranges whose leader answered from it
 * @param bytes             bytes its range replicas' segment files occupy on its disk, as they reported them (memtables
 *                          and the Raft log not counted; a replica that did not answer counts 0)
 */
public record NodeStatus(String nodeId, String raftAddress, String httpAddressOrNull, String zone, String state,
                         String incarnationOrNull, int replicas, int leaders, long bytes) {
}
