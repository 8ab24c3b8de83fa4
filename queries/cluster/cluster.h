/* cluster.h: scans across the ranks of an MPI job (`mpirun -np N bcms assoc ...`).
 *
 * Built with MPI (CMake option BCMS_MPI, on when an MPI library is found), bcms initialises MPI only
 * when an MPI launcher started it (mpirun/mpiexec or srun set their rank variables); a plain run
 * never touches MPI and behaves exactly as the binary built without it. Without MPI in the build,
 * or outside a launcher, there is one rank (rank 0 of 1).
 *
 * Work is shared by fixed batches of variants whose size does not depend on the rank count (the
 * reader's batches), dealt out by a fixed rule on their sizes (assoc_sched.c: in batch order, to the
 * rank with the fewest variants so far), every rank fits the null models itself (the same
 * data through the same code gives the same bits on every rank) except the mixed model's, whose
 * eigendecomposition one rank computes and broadcasts (BLAS and LAPACK kernels differ between CPUs,
 * and it is the costly part: lmm.h, lmm_model_share), and rank 0 receives the other
 * ranks' formatted rows and p-values and writes them in genomic order, so OUT is byte-identical to
 * the single-process run for any N. Threads: messages are sent and received under one lock
 * (MPI_THREAD_SERIALIZED). Waits poll with short sleeps (no rank spins on a core), and a job whose
 * ranks are all on one node gets Open MPI's shared-memory path unless the user chose one.
 * The structure commands (kinship, grm, pca) share batches by the same rule (bcms_cluster_share) and
 * meet on rank 0 through bcms_cluster_sum: exact integer sums, so their outputs do not depend on N. */
#ifndef BCMS_CLUSTER_H
#define BCMS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/kstring.h>

/* Initialise MPI when launched by an MPI launcher; 0 or a BCMS code. Call once, from main. */
int bcms_cluster_init(int *argc, char ***argv);
void bcms_cluster_finalize(void);
/* End every rank of the job at once (after an error on one rank); returns only without MPI. */
void bcms_cluster_abort(int status);

int bcms_cluster_rank(void);
int bcms_cluster_size(void);
/* Ranks of this job on this node, from the launcher's environment (1 outside an MPI job or when the
 * launcher does not say). */
int bcms_cluster_local_size(void);

/* Start sending n bytes to rank 0 (messages from one rank arrive in the order sent); buf must stay
 * untouched until bcms_cluster_done says the send is complete. 0 or BCMS_EIO; *req is the handle. */
typedef struct bcms_cluster_req_t bcms_cluster_req_t;
int bcms_cluster_isend0(const void *buf, size_t n, bcms_cluster_req_t **req);
/* 1 when the send is complete (the handle is then freed and *req NULL), 0 while it is not (wait:
 * block until it is), or BCMS_EIO. A NULL *req is complete. */
int bcms_cluster_done(bcms_cluster_req_t **req, int wait);
/* Receive the next message from rank src into out (replacing its content). With wait 0, return 1
 * when no message is pending yet instead of blocking. 0, 1 or BCMS_EIO. */
int bcms_cluster_recv(int src, kstring_t *out, int wait);

/* Rank 0's value of *v on every rank (no-op with one rank). 0 or BCMS_EIO. */
int bcms_cluster_bcast_u32(uint32_t *v);
/* root's n bytes at buf on every rank (collective: every rank calls it, in the same order; no-op with
 * one rank). 0 or BCMS_EIO. */
int bcms_cluster_bcast(void *buf, size_t n, int root);

/* ---- sums over the ranks, for the structure commands (kinship, grm, pca) ----
 * Element types of bcms_cluster_sum: integers, whose sums are exact in any order (the result does
 * not depend on how the ranks shared the work), and doubles for sums whose every element but one
 * is +0 on all ranks (then x + 0 = x exactly: see pca.c). */
enum { BCMS_CL_U32, BCMS_CL_U64, BCMS_CL_I128, BCMS_CL_F64 };
/* buf (n elements of the type) summed over the ranks into rank 0's buf; the other ranks' buf is
 * left as it was. Every rank must call it with the same n and type. Sent in slices (MPI's own
 * buffers stay small), waited for with short sleeps (cluster.c). No-op with one rank. 0 or BCMS_EIO. */
int bcms_cluster_sum(void *buf, size_t n, int type);
/* Share nb blocks of work over the ranks: block b (weight w[b], e.g. its variants) goes, in block
 * order, to the rank with the least weight so far (the lowest such rank on a tie). owner[b] receives
 * the rank. A fixed rule on the blocks: every rank computes the same owners. */
void bcms_cluster_share(const uint64_t *w, uint32_t nb, uint32_t *owner);
/* The same from the ranks' loads so far (load: bcms_cluster_size() values, updated; NULL: by block
 * number), for blocks that come window by window. */
void bcms_cluster_share_from(const uint64_t *w, uint32_t nb, uint32_t *owner, uint64_t *load);
/* The rank with the least load (the lowest such rank on a tie): the rule of the two above. */
int bcms_cluster_least(const uint64_t *load);

#endif
