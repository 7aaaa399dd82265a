"""The numeric core's tuning constants, in one place, each with the reason it holds.

Nothing here changes what a fit certifies (the stopping rule is the duality gap); these only
decide how fast it gets there. Times quoted were measured on this project's 2-core machine.

Numeric core: imports NumPy only.
"""

import numpy as np

# -- coordinate descent: working sets --------------------------------------------------------
#: initial working-set size
P0 = 10
#: coordinate-descent epochs allowed per working-set subproblem
MAX_EPOCHS = 1000
#: a subproblem is solved to this fraction of the current outer duality gap
INNER_RATIO = 0.3
#: Anderson extrapolation uses this many past iterates (skglm's choice)
ANDERSON_K = 5
#: the fit stops early after this many outer iterations without halving the gap (the
#: second stopping rule: rounding, not the budget, then limits what the gap can certify)
STALL_ITERATIONS = 10

# -- coordinate descent: when an exact finish pays ------------------------------------------
#: cost model of ``_cd._finish_pays``, in units of one coordinate update (about 1.5 us when
#: these were set): elements of an in-cache ``daxpy``, flops of a factorization, and the
#: fixed overhead of an exact finish, per unit. Updates have since become cheaper (0.5-1.1
#: us, the sweep's constants packed per coordinate), but a finish made dearer in these
#: units (``FINISH_OVERHEAD`` 200, 1000; ``FLOPS_PER_UNIT`` 10000) measured unchanged,
#: slower or inconclusive, so they stand
AXPY_PER_UNIT = 3750.0
FLOPS_PER_UNIT = 30000.0
FINISH_OVERHEAD = 40.0
#: fixed cost of an outer evaluation (duality gap, violation scores, working set), in the
#: same units: measured 80 us on 30 x 5 data, where the products cost nothing
EVALUATION_OVERHEAD = 50.0
#: epochs a warm-started subproblem typically needs (cost model of the exact solve tried first)
TYPICAL_EPOCHS = 5
#: most feature-sign rounds (one factorization each) per exact finish
NEWTON_ROUNDS = 10

# -- many targets ---------------------------------------------------------------------------
#: most rounds of the batched active-set search that starts a fit of several targets
#: (``_batched``, one batched solve each): 50 targets on 5000 x 300 data with supports of
#: about 17 features took 3-5 rounds, with about 55 5-7; a target still moving after that
#: (supports near p, where joins double the support each round) is left to its own solver
BATCHED_ROUNDS = 10
#: a target leaves the batched search once its active set would exceed this many features:
#: each round solves every active-set system afresh (LU, ``2/3 m^3`` flops), where each
#: target's own solver updates one factorization shared by all targets (measured: 10
#: targets of 3000 x 1000 data with supports of 600-860 took 1.2-1.7 times as long with
#: the whole search before them; 50 of 5000 x 300 with supports of 250, 0.7-0.9)
BATCHED_MAX_ACTIVE = 256

# -- the support system (one Cholesky factorization, updated) --------------------------------
#: one factorization serves smaller supports while its Cholesky diagonal spans less than this
SCHUR_MAX_RATIO = 1e4
#: removed features are dropped from the factor (its tail refactorized) when the tail after
#: the first of them is at most this many features per removed one
TAIL_PER_REMOVED = 8
#: right-hand sides up to which BLAS-2 triangular solves, one per column, beat LAPACK's
#: ``dtrtrs`` (OpenBLAS's blocked routines cost several times more there; measured for the
#: pair of solves of ``dpotrs``: 0.41 against 0.11 ms at 1000 unknowns)
TRSV_COLUMNS = 4
#: refinement steps of a solve through a jittered (singular) or ill-conditioned factorization
REFINE_STEPS = 3
#: a singular support block is factorized with this multiple of its mean diagonal added:
#: small enough to leave the solution's digits (refinement removes its effect on the range),
#: large enough for the factorization to succeed
JITTER = 1e-10

# -- rounding ---------------------------------------------------------------------------------
#: rounding error of a length-n dot product, relative to sqrt(n) |x| |y|
ROUNDING = 4.0 * np.finfo(np.float64).eps
#: summaries computed through a Gram matrix certify only while their probable rounding error
#: is below this fraction of the tolerance (else: an explicit residual)
RELIABLE = 0.01
#: a stalled fit polishes with explicit residuals once its gap is within this factor of the
#: rounding level of Gram-based summaries (farther away, the stall is the optimization's,
#: and the exact finish on the Gram matrix is the better tool)
POLISH_RANGE = 1e3
#: most entries (256 MB of float64) of the centred working-set columns of a residual
#: subproblem; beyond, the subproblem stays on its Gram matrix
MAX_RESIDUAL_ENTRIES = 2**25
#: a verified gap recomputes every entry of ``Xt^T R`` from centred columns (by blocks) up to
#: this size of X (a pass of dense products); beyond, only the entries near the constraint
VERIFY_ALL_ENTRIES = 1e8

# -- the workspace: when Gram matrices are formed ---------------------------------------------
#: largest n_features for which the full Gram matrix may be formed (dense X)
MAX_FULL_GRAM = 4000
#: up to this many features, tall dense data get their full Gram matrix up front: forming
#: it costs about as much as a few passes over X, and then every product is ``O(p^2)``
CHEAP_GRAM_FEATURES = 256
#: a single fit on such data declines the full Gram matrix when its first working set (the
#: features violating their optimality conditions at zero, ``m`` of them) costs less as a
#: block: per row of X, in units of one multiply-add of the symmetric product, ``m^2 / 2``
#: for the block, ``GATHER_UNITS`` per column gathered (centred) for it and ``PASS_UNITS``
#: per entry of each of ``BLOCK_PASSES`` passes over X (the columns' norms; two outer
#: iterations, each a product with the support and one with the residual, and a block's
#: extension), against ``p^2 / 2`` for the full matrix (measured on California's 20640 x
#: 164 design, one thread: the full product 14.4 ms, one pass 0.86 ms, 84 centred columns
#: gathered 1.35 ms; on 65 random tall designs of 40-256 features, where the first block
#: was declined with 3 passes, the fit took as long or longer below 70 features)
GATHER_UNITS = 15
PASS_UNITS = 5
BLOCK_PASSES = 6
#: ... and when the working sets may grow by this factor before the blocks would complete
#: the full matrix (at two thirds of the features, ``_data.Workspace``): measured on the
#: same designs, a first block above 0.6 of the features took 0.96-1.69 times the fit with
#: the full matrix, as the second working set completed it
BLOCK_GROWTH = 1.2
#: most features whose Gram block is cached
MAX_CACHE = 4000
#: dense data with at least as many samples as features form their cached Gram blocks in
#: single precision (half the time of the products: synth 10000 x 1000, Lasso at
#: alpha_max/100, 98 -> 49 ms of blocks) from a single-precision copy of the centred
#: columns, kept while it takes at most this many bytes (``Workspace.single_blocks``)
SINGLE_BLOCK_BYTES = 256 * 2**20
#: ... and while X has at least this many entries (32 MB of float64): below, the products are
#: cheap, and double-precision blocks keep the fits' agreement to rounding (weights against
#: repeated rows at the default tolerance, as scikit-learn's checks ask, to 1e-7)
SINGLE_BLOCK_MIN_ENTRIES = 2**22
#: a working-set subproblem on single-precision blocks that needs more epochs than this (or
#: meets a singular support) leaves them for double precision: the design is too
#: ill-conditioned for them (measured: nearly collinear columns, every subproblem ran
#: ``MAX_EPOCHS`` on its indefinite single-precision block; a well-conditioned one needs
#: at most 20)
SINGLE_MAX_EPOCHS = 100
#: with single-precision blocks (the outer evaluations passes over X), a working set that
#: holds every violator takes this fraction more features, the closest to violating
#: (measured on synth 10000 x 1000: 5 outer iterations instead of 7 at alpha_max/1000, 0.77-
#: 0.93 of the time, 0.90-0.98 at alpha_max/100; on wide data, whose supports near n_samples
#: make larger subproblems dear, the same padding cost synth 200 x 20000 5-35%)
SINGLE_PAD = 0.1
#: products of at least this many multiply-adds may use every BLAS thread
PARALLEL_FLOPS = 5e7

# -- ridge: forming a sparse kernel or iterating through X -----------------------------------
#: scipy's sparse product ``X X^T`` costs about this many matrix-vector passes over the stored
#: entries beyond one per ``sum_j nnz_j^2 + n^2`` (its conversions and index work); fitted
#: on binary designs of 800-3000 rows, 0.1-5% dense, uniform and power-law columns (it
#: underestimates the largest ones: the switch to the kernel comes early, never late)
KERNEL_FIXED_PASSES = 45.0
#: a dense factorization's flop costs this many times less than one stored entry of a
#: sparse matrix-vector pass (0.05 ns per flop against 1.2 ns per entry, one thread)
FLOPS_PER_PASS_ENTRY = 25.0

# -- exact Lasso paths by homotopy -------------------------------------------------------------
#: Lasso paths on a formed Gram matrix of at most this many features follow the homotopy
#: (one support solve per breakpoint); beyond, warm-started coordinate descent with exact
#: finishes (measured: scikit-learn's 100-point path on synthetic 10000 x 1000 data, supports
#: up to about 900, took 1.09-1.19 times as long by homotopy, one thread)
HOMOTOPY_MAX_FEATURES = 500
#: the homotopy gives up (coordinate descent takes over) after this many breakpoints per
#: feature: paths with many sign changes are cheaper by warm-started coordinate descent
HOMOTOPY_STEPS_PER_FEATURE = 4
#: the correlations follow each segment linearly and are recomputed from the support after
#: a feature leaves and every this many breakpoints (the updates' rounding cannot build up;
#: a product with the Gram matrix per breakpoint was a sixth of the homotopy's time)
HOMOTOPY_REFRESH = 16
#: a single Lasso fit (cold start) on dense data of at most this many samples, at least this
#: many times more features and at most this many entries (X stays in cache: a product with
#: it, once per breakpoint, costs ~55 us at 100 x 5000) switches to the exact solution by
#: homotopy through the data once coordinate descent's support exceeds this many times the
#: number of samples (the solution's does not exceed it, in general position: the working-set
#: problems near it are singular and converge slowly). Measured, one thread: 100 x 5000 at
#: alpha_max/100 77 -> 27 ms, /1000 261 -> 27 ms; leukemia (72 x 7129) /1000 136 -> 28 ms;
#: at 1.0 times n leukemia /100 (support 75 of 72 on the way) went 20 -> 30 ms
FIT_HOMOTOPY_MAX_SAMPLES = 200
FIT_HOMOTOPY_MIN_RATIO = 8
FIT_HOMOTOPY_MAX_ENTRIES = 2_000_000
FIT_HOMOTOPY_SUPPORT = 1.25
#: its breakpoints per sample before coordinate descent takes over (a Lasso path's support
#: stays below ``n``: entries and leaves take about 1.5 n breakpoints to alpha_max / 100)
FIT_HOMOTOPY_STEPS_PER_SAMPLE = 4
#: the dual Newton method (``_dual_newton``: the Lasso and the elastic net) starts cold fits
#: with at most this many samples and at least this many times as many features: each
#: iteration factorizes a system of size up to ``n`` (measured at l1_ratio 0.5,
#: alpha_max/10 and /100, against coordinate descent alone: 200 x 300 0.56 / 0.36,
#: 500 x 1000 0.57 / 0.42, 500 x 5000 0.75 / 0.33; 1000 x 5000 1.23 / 0.66)
DUAL_NEWTON_MAX_SAMPLES = 500
DUAL_NEWTON_MIN_RATIO = 1.5
#: L2 weights of at least this fraction of the L1 weights (``l1_ratio`` up to 0.8, with
#: room for its rounding: ``1 - 0.8 < 0.25 * 0.8`` in floating point) are solved by one
#: maximization of the elastic net's own dual; with less (and the Lasso) that dual is nearly
#: the Lasso's, non-smooth, and its steps shrink (measured on leukemia at alpha_max/100:
#: 26-28 iterations, 0.30-0.35 of coordinate descent's time, at ``l1_ratio`` 0.7-0.8; 41-43
#: and 1.45-1.6 times its time at 0.9-0.99): proximal rounds then add their own L2 weight
DUAL_NEWTON_MIN_L2 = 0.24
#: its Newton iterations at most (5-28 for the elastic net on the benchmark's wide problems,
#: 15-110 for the Lasso's proximal rounds); a fit that has not settled by then goes on by
#: coordinate descent from the best round's point (from zero when the first round did not
#: settle), and it runs only when ``max_iter`` exceeds twice this
DUAL_NEWTON_MAX_ITER = 120
#: the Lasso's proximal rounds: the first weight ``sigma`` of ``1/(2 sigma) ||w - w_k||^2``
#: times the mean squared column norm (the proximal term 1% of the data's mean curvature),
#: its growth between rounds and its cap (a proximal term ``1e-8`` of the curvature: the
#: systems' condition numbers stay below ``1e8`` times the support, and a weaker term
#: changes the rounds' points by less than the tolerances can see). Measured (whole fits,
#: one thread, leukemia and 100 x 5000 at alpha_max/10 and /100): start 10 / 100 / 1000
#: and growth 5 / 20 all within 0.6-1.4 of each other; 100 and 5 the best on both
DUAL_NEWTON_SIGMA0 = 100.0
DUAL_NEWTON_SIGMA_GROWTH = 5.0
DUAL_NEWTON_SIGMA_MAX = 1e8
#: rounds run on every feature while ``n p`` is at most this (a product with the data costs
#: less than the iterations a working set adds: leukemia 72 x 7129 at alpha_max/100 15.9 ms
#: on all features, 26.8 on a working set); above it on a working set of this many features
#: per sample first (200 x 20000 at alpha_max/10 and /100: 114 / 234 ms on all, 33 / 94 on
#: 6 n; 4 n 44 / 88, 12 n 36 / 89)
DUAL_NEWTON_FULL_ENTRIES = 1_000_000
#: the same for the Lasso's proximal rounds, whose line searches take a product with every
#: feature of the working set at each of their 20-30 iterations (measured on 100 x 5000, the
#: Lasso at alpha_max/10 and /100: 0.84 / 0.81 of the time on all features)
DUAL_NEWTON_ROUNDS_FULL = 300_000
DUAL_NEWTON_WS_PER_SAMPLE = 6
#: and only when that working set is at most this fraction of the features (its rounds of
#: growth cost more than they save otherwise: the elastic net on 500 x 5000 at alpha_max/100,
#: a working set of 3000, 1.25 times the time on all features)
DUAL_NEWTON_WS_MAX_FRACTION = 0.25
#: the proximal rounds (the Lasso, and the elastic net below ``DUAL_NEWTON_MIN_L2``) only up
#: to this many samples: their systems reach the support's size, near ``n``, in many more
#: iterations than the elastic net's single maximization (measured against coordinate
#: descent alone at alpha_max/10 and /100: 200 x 300 0.97 / 0.62, leukemia 0.84 / 0.45;
#: 500 x 1000 0.97 / 1.47, 500 x 5000 1.54 / 0.75)
DUAL_NEWTON_ROUNDS_MAX_SAMPLES = 200
#: columns whose centred cosine is within this of 1 count as nearly parallel for the merge of
#: a stalled fit (``_Fit.merge_parallel``): the near-duplicates that stall coordinate
#: descent differ by 1e-10 to 1e-4 of their norm, so 1 - cos is below 1e-8 for them
PARALLEL_COSINE = 1e-6
#: the merge looks at pairs of support columns only on supports up to this size (its Gram
#: block costs support^2 entries; stalls on larger supports are rare and not of this kind)
MERGE_MAX_SUPPORT = 2000
#: dense X with heavy offsets on many columns is centred explicitly in its products; up to
#: this size one centred copy is kept for the fit instead of centring every block of every
#: product again (measured on gisette 1000 x 5000: 18 products re-centred cost 54 ms of a
#: 117 ms fit)
CENTRED_COPY_BYTES = 256 * 2**20
#: when at most this fraction of the columns of dense X have heavy offsets, only those
#: columns are centred explicitly (one copy of them) and products of the others stay
#: corrected by the offsets: gisette (1000 x 5000) has 257 such columns, all constant on
#: its samples, and centring all of X cost a copy of it per fit (5.6 of a 33 ms fit)
HEAVY_COLUMNS_FRACTION = 0.25
#: a fit is not stalled while its best objective drops by this fraction of the gap per
#: STALL_ITERATIONS outer iterations: a positive Lasso (8 x 54, 2e-6 alpha_max) descended at
#: about 2% of its gap per 10 iterations to a certified optimum 25% below where the gap
#: rule alone stopped it; any decrease beyond rounding instead let unscaled degree-15
#: polynomial features run the whole max_iter (1000 outer iterations) for nothing
STALL_DESCENT = 0.01
