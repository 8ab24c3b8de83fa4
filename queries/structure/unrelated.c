/* unrelated.c: a maximal set of samples without a related pair, by PLINK 2's --king-cutoff rule
 * (contract in structure.h). GPL-3.0-or-later.
 *
 * Greedy on the graph of related pairs: while an edge remains, if some vertex has one partner left,
 * drop that partner (the first such vertex in sample order: it keeps the vertex and loses one
 * sample only); else drop the first vertex of the largest degree. Vertices whose edges are all gone
 * stay. Adjacency is kept as lists (both directions); a removed vertex's edges vanish with it. */
#include <stdlib.h>

#include "err.h"
#include "structure_internal.h"

int bcms_kinship_prune(uint32_t n, const uint32_t *a, const uint32_t *b, uint64_t n_edges, uint8_t *keep)
{
    uint64_t *off = calloc((size_t)n + 1, sizeof *off), *fill = NULL;
    uint32_t *adj = NULL, *deg = calloc((size_t)n + 1, sizeof *deg);
    int rc = BCMS_ENOMEM;
    if (!off || !deg || !(adj = malloc((size_t)(2 * n_edges + 1) * sizeof *adj)) ||
        !(fill = malloc(((size_t)n + 1) * sizeof *fill)))
        goto out;
    for (uint64_t k = 0; k < n_edges; k++) off[a[k] + 1]++, off[b[k] + 1]++;
    for (uint32_t i = 0; i < n; i++) off[i + 1] += off[i];
    for (uint32_t i = 0; i <= n; i++) fill[i] = off[i];
    for (uint64_t k = 0; k < n_edges; k++) adj[fill[a[k]]++] = b[k], adj[fill[b[k]]++] = a[k];
    uint64_t live = n_edges;
    for (uint32_t i = 0; i < n; i++) keep[i] = 1, deg[i] = (uint32_t)(off[i + 1] - off[i]);
    while (live) {
        uint32_t drop = n;
        for (uint32_t i = 0; i < n && drop == n; i++)
            if (keep[i] && deg[i] == 1)
                for (uint64_t k = off[i]; k < off[i + 1]; k++)
                    if (keep[adj[k]]) {
                        drop = adj[k];
                        break;
                    }
        if (drop == n) {
            uint32_t best = 0;
            for (uint32_t i = 0; i < n; i++)
                if (keep[i] && deg[i] > best) best = deg[i], drop = i;
        }
        keep[drop] = 0;
        for (uint64_t k = off[drop]; k < off[drop + 1]; k++)
            if (keep[adj[k]]) deg[adj[k]]--, live--;
        deg[drop] = 0;
    }
    rc = 0;
out:
    free(off);
    free(fill);
    free(adj);
    free(deg);
    return rc ? bcms_err(BCMS_ENOMEM, "unrelated set of %u samples", n) : 0;
}
