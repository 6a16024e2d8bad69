package io.omendb.router.backend;

/**
 * One cluster member as {@code GET /admin/nodes} shows it.
 *
 * @param id                the node id
 * @param raftAddress       its Raft address ({@code host:port})
 * @param httpAddressOrNull its HTTP address, or null when the configuration gives none
 * @param zoneOrNull        its zone ({@code [cluster] zone}), or null when it has none
 * @param state             live, suspect (does not answer), draining, removed or dead
 * @param incarnationOrNull the incarnation of its data directory the meta group records (16 hex digits), or null
 *                          before the node recorded one
 * @param replicas          range replicas the range table places on it
 * @param leaders           ranges it leads
 * @param bytes             bytes its range replicas' segment files occupy on its disk (memtables and the Raft log not
 *                          counted; 0 for replicas that did not answer)
 */
public record NodeInfo(String id, String raftAddress, String httpAddressOrNull, String zoneOrNull, String state,
                       String incarnationOrNull, int replicas, int leaders, long bytes) {
}
