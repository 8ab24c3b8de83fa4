/* cluster.c: the MPI boundary (cluster.h). Every MPI call of bcms is in this file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "err.h"

int bcms_cluster_least(const uint64_t *load)
{
    int best = 0;
    for (int r = 1, np = bcms_cluster_size(); r < np; r++)
        if (load[r] < load[best]) best = r;
    return best;
}

void bcms_cluster_share_from(const uint64_t *w, uint32_t nb, uint32_t *owner, uint64_t *l)
{
    const int np = bcms_cluster_size();
    for (uint32_t b = 0; b < nb; b++) {
        if (!l) { /* no memory for the loads of a huge job: by block number, still a fixed rule */
            owner[b] = b % (uint32_t)np;
            continue;
        }
        int best = bcms_cluster_least(l);
        owner[b] = (uint32_t)best;
        l[best] += w[b];
    }
}

void bcms_cluster_share(const uint64_t *w, uint32_t nb, uint32_t *owner)
{
    const int np = bcms_cluster_size();
    uint64_t load[64] = {0}, *l = np <= 64 ? load : calloc((size_t)np, sizeof *l);
    bcms_cluster_share_from(w, nb, owner, l);
    if (l != load) free(l);
}

#ifdef BCMS_HAVE_MPI
#include <mpi.h>

static int initialised, rank, size = 1;

/* Rank variables set by the launchers bcms is run under: Open MPI's mpirun, PMIx (srun --mpi=pmix),
 * PMI-1/2 (srun --mpi=pmi2, MPICH's hydra). */
static int launched_by_mpi(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

/* Open MPI defaults for a job whose ranks all run on this node (mpirun sets the local and world
 * sizes), unless the user chose: the ob1 point-to-point layer over shared memory, which starts in
 * ~0.07 s where probing UCX and the network layers takes ~0.3 s per rank (on a 2-core node that was
 * most of a short scan's MPI cost); and yielding the core in MPI's own blocking waits. A job across
 * nodes keeps the site's choice. setenv before MPI_Init: Open MPI reads OMPI_MCA_* there. */
static void cluster_local_defaults(void)
{
    const char *ws = getenv("OMPI_COMM_WORLD_SIZE"), *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (!ws || !ls || strcmp(ws, ls)) return;
    if (!getenv("OMPI_MCA_pml") && !getenv("OMPI_MCA_mtl")) setenv("OMPI_MCA_pml", "ob1", 0);
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
}

int bcms_cluster_init(int *argc, char ***argv)
{
    int provided;
    if (initialised || !launched_by_mpi()) return 0;
    cluster_local_defaults();
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return bcms_err(BCMS_EIO, "MPI initialisation failed");
    initialised = 1;
    if (provided < MPI_THREAD_SERIALIZED) {
        MPI_Finalize();
        initialised = 0;
        return bcms_err(BCMS_EINVAL, "the MPI library does not support MPI_THREAD_SERIALIZED; run with --threads 1 "
                        "per rank or use an MPI built with thread support");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* errors come back as codes (translated below), not as an abort inside the library */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return 0;
}

void bcms_cluster_finalize(void)
{
    if (initialised) MPI_Finalize();
    initialised = 0;
}

void bcms_cluster_abort(int status)
{
    if (initialised && size > 1) MPI_Abort(MPI_COMM_WORLD, status);
}

int bcms_cluster_local_size(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"};
    if (!initialised || size < 2) return 1;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *e = getenv(vars[i]);
        long v = e ? strtol(e, NULL, 10) : 0;
        if (v > 0) return v < size ? (int)v : size;
    }
    return 1;
}

int bcms_cluster_rank(void) { return rank; }
int bcms_cluster_size(void) { return size; }

/* Waits poll with a short sleep instead of MPI_Wait/MPI_Probe: Open MPI's blocking calls spin on
 * their core, and a rank that has finished its batches would take the CPU its neighbour (or rank 0,
 * which computes and writes) needs on a node with as many ranks as cores. A batch takes well over a
 * millisecond, so the added latency does not show. */
static void cluster_pause(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

struct bcms_cluster_req_t {
    MPI_Request r;
};

int bcms_cluster_isend0(const void *buf, size_t n, bcms_cluster_req_t **req)
{
    if (n > (size_t)INT32_MAX) return bcms_err(BCMS_EINVAL, "MPI message of %zu bytes is too large", n);
    if (!(*req = malloc(sizeof **req))) return BCMS_ENOMEM;
    if (MPI_Isend(buf, (int)n, MPI_BYTE, 0, 1, MPI_COMM_WORLD, &(*req)->r) != MPI_SUCCESS) {
        free(*req);
        *req = NULL;
        return bcms_err(BCMS_EIO, "rank %d: sending results to rank 0 failed", rank);
    }
    return 0;
}

int bcms_cluster_done(bcms_cluster_req_t **req, int wait)
{
    int flag = 0;
    if (!*req) return 1;
    for (;;) {
        if (MPI_Test(&(*req)->r, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return bcms_err(BCMS_EIO, "rank %d: sending results to rank 0 failed", rank);
        if (flag || !wait) break;
        cluster_pause();
    }
    if (!flag) return 0;
    free(*req);
    *req = NULL;
    return 1;
}

int bcms_cluster_recv(int src, kstring_t *out, int wait)
{
    MPI_Status stt;
    int flag = 0, n;
    for (;;) {
        if (MPI_Iprobe(src, 1, MPI_COMM_WORLD, &flag, &stt) != MPI_SUCCESS)
            return bcms_err(BCMS_EIO, "rank 0: waiting for rank %d failed", src);
        if (flag || !wait) break;
        cluster_pause();
    }
    if (!flag) return 1;
    MPI_Get_count(&stt, MPI_BYTE, &n);
    out->l = 0;
    if (ks_resize(out, (size_t)n + 1) < 0) return BCMS_ENOMEM;
    if (MPI_Recv(out->s, n, MPI_BYTE, src, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return bcms_err(BCMS_EIO, "rank 0: receiving results from rank %d failed", src);
    out->l = (size_t)n;
    return 0;
}

int bcms_cluster_bcast_u32(uint32_t *v)
{
    if (!initialised || size < 2) return 0;
    return MPI_Bcast(v, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0
           : bcms_err(BCMS_EIO, "rank %d: broadcast from rank 0 failed", rank);
}

/* Waits on a non-blocking collective with short sleeps (cluster_pause). */
static int cluster_wait(MPI_Request *r)
{
    int flag = 0;
    for (;;) {
        if (MPI_Test(r, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) return -1;
        if (flag) return 0;
        cluster_pause();
    }
}

/* 128-bit integers as pairs of 64-bit words (MPI has no such type), added with their carry. */
static void cluster_add_i128(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    const unsigned __int128 *a = in;
    unsigned __int128 *b = inout;
    (void)dt;
    for (int i = 0; i < *len; i++) b[i] += a[i];
}

#define CLUSTER_SLICE (1u << 22) /* elements a message: MPI's own buffers stay at a few MB */

int bcms_cluster_sum(void *buf, size_t n, int type)
{
    static MPI_Datatype t128 = MPI_DATATYPE_NULL;
    static MPI_Op add128 = MPI_OP_NULL;
    MPI_Datatype dt = type == BCMS_CL_U32 ? MPI_UINT32_T : type == BCMS_CL_U64 ? MPI_UINT64_T : MPI_DOUBLE;
    MPI_Op op = MPI_SUM;
    size_t esz = type == BCMS_CL_U32 ? 4 : type == BCMS_CL_I128 ? 16 : 8;
    if (!initialised || size < 2) return 0;
    if (type == BCMS_CL_I128) {
        if (t128 == MPI_DATATYPE_NULL &&
            (MPI_Type_contiguous(2, MPI_UINT64_T, &t128) != MPI_SUCCESS || MPI_Type_commit(&t128) != MPI_SUCCESS ||
             MPI_Op_create(cluster_add_i128, 1, &add128) != MPI_SUCCESS))
            return bcms_err(BCMS_EIO, "rank %d: MPI 128-bit sum type", rank);
        dt = t128, op = add128;
    }
    for (size_t i = 0; i < n; i += CLUSTER_SLICE) {
        int cnt = (int)(n - i < CLUSTER_SLICE ? n - i : CLUSTER_SLICE);
        char *p = (char *)buf + i * esz;
        MPI_Request r;
        int ok = rank == 0 ? MPI_Ireduce(MPI_IN_PLACE, p, cnt, dt, op, 0, MPI_COMM_WORLD, &r)
                           : MPI_Ireduce(p, NULL, cnt, dt, op, 0, MPI_COMM_WORLD, &r);
        if (ok != MPI_SUCCESS || cluster_wait(&r))
            return bcms_err(BCMS_EIO, "rank %d: summing results over the ranks failed", rank);
    }
    return 0;
}

int bcms_cluster_bcast(void *buf, size_t n, int root)
{
    if (!initialised || size < 2) return 0;
    for (size_t i = 0; i < n; i += (size_t)CLUSTER_SLICE * 8) {
        int cnt = (int)(n - i < (size_t)CLUSTER_SLICE * 8 ? n - i : (size_t)CLUSTER_SLICE * 8);
        MPI_Request r;
        if (MPI_Ibcast((char *)buf + i, cnt, MPI_BYTE, root, MPI_COMM_WORLD, &r) != MPI_SUCCESS || cluster_wait(&r))
            return bcms_err(BCMS_EIO, "rank %d: broadcast from rank %d failed", rank, root);
    }
    return 0;
}

#else /* built without MPI: one rank */
int bcms_cluster_bcast_u32(uint32_t *v) { (void)v; return 0; }
int bcms_cluster_sum(void *buf, size_t n, int type) { (void)buf, (void)n, (void)type; return 0; }
int bcms_cluster_bcast(void *buf, size_t n, int root) { (void)buf, (void)n, (void)root; return 0; }

int bcms_cluster_init(int *argc, char ***argv) { (void)argc, (void)argv; return 0; }
void bcms_cluster_finalize(void) {}
void bcms_cluster_abort(int status) { (void)status; }
int bcms_cluster_rank(void) { return 0; }
int bcms_cluster_local_size(void) { return 1; }
int bcms_cluster_size(void) { return 1; }
int bcms_cluster_isend0(const void *buf, size_t n, bcms_cluster_req_t **req)
{
    (void)buf, (void)n;
    *req = NULL;
    return bcms_err(BCMS_EINVAL, "this bcms was built without MPI");
}
int bcms_cluster_done(bcms_cluster_req_t **req, int wait)
{
    (void)req, (void)wait;
    return 1;
}
int bcms_cluster_recv(int src, kstring_t *out, int wait)
{
    (void)src, (void)out, (void)wait;
    return bcms_err(BCMS_EINVAL, "this bcms was built without MPI");
}
#endif
