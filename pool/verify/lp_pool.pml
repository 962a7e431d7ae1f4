/*
 * lp_pool.pml — a Promela model of LockPool's slot/waiter protocol, checked with spin.
 * It mirrors pool/src/lp_pool.c and pool/src/lp_sync.c as of commit 8926230 (bb01bed, the
 * bounded sweep, the orphan check only after a failed tail CAS, and the BARGING retry
 * token). The "C:" notes name the C function and its lines (at bb01bed; those of the
 * token code and of lp__serve/lp__after_unlock/lp__acquire at 8926230); re-check them when
 * the C changes.
 * pool/verify/README.md says how to run it, what each property covers, and the measured
 * state counts.
 *
 * Modelled: NSLOTS per-slot try-locks; the ring of NCELLS mailboxes addressed by ticket
 * (head/tail modulo LIMIT = NCELLS*ROUNDS, so the tickets wrap), cell states EMPTY,
 * CLAIMING, WAITING, UPDATING, GRANTED, READY, CANCELLED; the enqueue in three steps as in
 * lp__acquire: lp__claim (claim-first, tail helping, skipping a lapped ticket with
 * lp__ring_has_room read cell by cell, bringing an old cell forward, the orphan check, the
 * guard, a sweep before each LP_EFULL), lp__rescan while the cell is still CLAIMING (FAIR:
 * serve any free slot to the oldest waiter, maybe ourselves; BARGING: keep the slot and
 * withdraw CLAIMING->CANCELLED), lp__publish (CAS CLAIMING->WAITING, else collect: LP_OK);
 * FAIR hand-off, BARGING "retry" wakes limited by the retry token (8926230: `woken`, at
 * most RETRY_WAKES = K in flight; lp__wake_retry, lp__token_take, lp__token_drop with its
 * queue and slot look, the drops in lp__acquire and lp__pass_on); lp_try_get, lp_put (fast path and
 * lp__release_slow/lp__after_unlock); lp__sweep as fixed in bb01bed (kill EMPTY(r) first,
 * pass CANCELLED(r)/newer, stop at an older round; bounded since by the tail at its look)
 * and lp__recycle's sweep; and two kinds
 * of callers:
 *   - sync (lp_get_timeout, lp_sync.c): a *parked* wait. Its waker is the cell's park
 *     word: the server stores READY, then xchg WOKEN on park[cell] (lp__park_wake); the
 *     caller xchg RUNNING, polls, re-fetches the park word of its (maybe new) cell, CAS
 *     RUNNING->SLEEPING, futex-waits while the word is SLEEPING; with a deadline it
 *     cancels. The spin phase (and lp__wait_position, its spin-or-park hint) is a no-op
 *     for the protocol (proceeding early is allowed).
 *   - async (lp_get_async): an ordinary waker (server: call waker, then READY). The
 *     task runs when its current waker was called; it may once replace the waker
 *     (lp_wait_poll with new_waker: WAITING->UPDATING->WAITING) and, if impatient,
 *     drop the wait (lp_wait_cancel, taking a granted slot or passing it on).
 * A waker is called only from WAITING, and only lp__publish (after the rescan) and
 * lp_wait_poll's UPDATING->WAITING write WAITING, so a get that returns LP_OK never
 * called its waker: e99bd26's guarantee holds by construction here (not a checked property).
 * BOUNDED is not a separate mode here: its put is FAIR's hand-off or BARGING's retry by a
 * racy clock heuristic, and both paths are checked in their own mode.
 * MODE_RESTRICTED (the C's default mode): BARGING's paths plus the rotation clock (a release
 * that finds a published waiter ticks it; every BOUND-th tick, and every tick while a wait
 * starves, is a hand-off; each begun wait's age turns - born, saturated at BOUND, decides
 * whether an async wait that loses a retry starves; the pending rotation of a0722c7:
 * lp__restricted_turn's tick, then its relaxed load of `rotating` (a tag pending: hand off with
 * it), else at a rotation tick the store of a new tag, else the load of `starving`, each a
 * step; lp__rotation_landed's CAS tag -> 0 after each RESTRICTED hand-off's lp__serve, and a
 * lost re-take in lp__after_unlock that leaves the tag pending), the nudge
 * walk (lp__nudge_head: a parked WAITING head is woken where it waits and kept queued, an
 * async one woken to retry, a CLAIMING one left to its own post-publish look; dead tickets swept,
 * then passed by lp__pass_dead up to the walk's tail read), a retry that reaches a parked wait
 * given a free slot instead when one can be taken (lp__deliver), the nudged
 * waiter's take-instead (scan, withdraw, or keep a hand-off that raced it), the head mover's
 * look (lp__look_after_move), the post-publish look (an async wait that finds itself the oldest
 * with a slot free takes it: lp__take_own), and the starving count of async waits that lose a
 * retry past the bound.
 * -DQUIT: a process at idle may also finish for good. Without it the other process always
 * comes back, and in BARGING its next get scans, takes the free slot and its put wakes a
 * waiter, so a lost BARGING wake-up (a drop that leaves a free slot to nobody) is rescued
 * and never shows; with it, a waiter asleep with a free slot and everyone else gone is an
 * invalid end state (safety) or a `wakeup` acceptance cycle. Used by the BARGING runs.
 * Not modelled: `created`, `since` (holder-only / heuristic; a 64-bit ns stamp stored as
 * two 32-bit halves, plain stores folded as in (d) below), the entry checks (the pool's
 * check word, the wait record's pool: a call that fails them returns before its first
 * modelled step and changes nothing), memory order (every step is
 * sequentially consistent; README.md reviews the C's orders), the caller hint (each
 * process starts its scan at its own index), spurious futex wake-ups.
 *
 * Atomicity. One Promela step per C atomic access, except: (a) a load whose value only
 * feeds the CAS that follows, with a retry on failure and no effect before it, is folded
 * into that CAS (this includes lp__sweep's EMPTY(r) kill: a failed kill re-reads head with
 * nothing done, i.e. that iteration merely started later); (b) the head/tail pair of
 * "anyone waiting?" is one snapshot (head only moves towards tail: "equal" means empty at
 * the second load, "different" means non-empty at some instant in between); lp__recycle's
 * "queue non-empty? then sweep" is modelled as an unconditional sweep, whose own first
 * step is that look; (c) lp__serve's "h != tail, CAS head h->h+1" is one step (a stale h
 * fails and retries); (d) plain stores read by nobody before a later release (cell
 * rec/park/since/slot) are folded into the neighbouring atomic step (the park reset at
 * claim races only with a late wake of the previous round: before or after the claim, the
 * effect is the same). lp__sweep's head/tail look, its cell load and each later head look
 * are separate steps. The retry token: lp__token_take's seq_cst load and CAS loop is one
 * step by (a); lp__token_drop's fetch_sub, its queue look (one snapshot, (b)), each slot
 * load and its token_take are separate steps, in the C's order (the Dekker pairing with a
 * release's unlock-then-woken-load is exactly what the model must not fold away).
 *
 * ABA. The C's tickets wrap after 2^29; the model's after LIMIT. A caller that holds a
 * ticket or head value across steps (lp__claim from its tail read to its tail CAS, or after
 * a failed one to the orphan check or the withdraw; lp__sweep from each head read to its
 * last cell CAS (its `end` needs no window: the ghost sweep_end[] tracks it exactly);
 * lp__serve from its head CAS to its first cell access) is assumed not to be preempted for
 * more than MAXLAG queue moves: lag[p] counts head/tail moves seen in p's window, and a move
 * is disabled while another process is already past MAXLAG. That is the known, documented
 * limit (DESIGN.md) scaled down. A process's own window-ending step never needs the move (a stale CAS
 * fails). With more than one cell, a served ticket's cell keeps its round until its owner
 * collects, so that span is a window too (lagc[]: without it, three processes wrapped the
 * 8-ticket ring meanwhile and a server found READY of its own round, an A5 artefact).
 * After its own tail CAS or a passed orphan check the ticket is live in
 * [head, tail): head cannot pass it without serving it, so no window is needed through the
 * rescan and publish.
 *
 * Properties:
 *   A1 mutual exclusion: an obtained slot is HELD and has no other owner;
 *   A2 no leak: when no caller is busy, every slot is FREE, head == tail, every cell EMPTY,
 *      woken == 0 (no retry token leaked);
 *   A3 FAIR never barges: a scan never takes a slot while a waiter whose ticket was
 *      visible and unserved (orphan check passed) before the scan's "head != tail" look
 *      is still unserved;
 *   A4 a record is dereferenced (waker read) only while its wait is live (defect 5);
 *   A5 cell-state sanity: states the C's comments call impossible do not occur;
 *   A6 token accounting: a drop never finds woken == 0 or no token in hand, and an
 *      operation ends holding no token;
 *   no invalid end state: nobody blocks for ever (lost wake-up, stuck await);
 *   LTL served: a patient waiter of process 0 is eventually served (FAIR: no starvation);
 *   LTL wakeup: a sleeping process 0 (futex or async task) is eventually woken or leaves.
 *   LTL sweepends: a sweep by process 0 returns (lp__sweep is bounded: no sweep livelock).
 *   A7 (RESTRICTED) bounded bypass: from the publish of a blocking wait of process 0 until
 *      it is served or withdrawn, the other processes obtain at most
 *      NPROC * BOUND + NSLOTS + NPROC - 1 slots ((waiters ahead + 1) rotations of BOUND
 *      ticks, the slots freed by releases that raced its enqueue, and waits that claimed
 *      before it but published after).
 *   A8 (RESTRICTED) lp__take_own keeps lp_get_async's promise: it returns LP_OK only if no
 *      waker of the current queueing was called, and when its withdrawal is lost, the waker
 *      has been called (the wait stays pending; the poll collects).
 *
 * Seeded bugs (-D; each must make spin report an error, see README.md for which are found):
 *   BUG_NO_RESCAN            lp__acquire skips lp__rescan after the claim (defect 1)
 *   BUG_NO_PUT_RECHECK       lp__release skips the seq_cst queue re-check after the unlock
 *   BUG_NO_ORPHAN_CHECK      lp__claim keeps its claim without checking that head passed t
 *   BUG_WAKE_AFTER_READY     lp__deliver calls an async waker after storing READY (defect 5)
 *   BUG_TRYGET_NO_HEAD       FAIR lp_try_get skips its head != tail test (defect 4)
 *   BUG_CANCEL_DROPS         lp_wait_cancel of a granted wait forgets the slot (leak)
 *   BUG_POLL_GRANTED         lp_wait_poll returns PENDING on GRANTED (lost wake-up)
 *   BUG_NO_REFETCH           lp_get_timeout sleeps on the park word of its old cell after a
 *                            BARGING re-queue (the lost wake-up fixed in 4efc19a)
 *   BUG_NO_EFULL_SWEEP       lp__claim returns LP_EFULL without its sweep (model defect C1,
 *                            fixed in bb01bed): a ticket it skipped stays dead at the head
 *   BUG_SWEEP_READ_THEN_PASS lp__sweep as before bb01bed: reads the cell, treats EMPTY(r)
 *                            and an older round as dead, moves head, only then kills
 *                            (model defect C2: a late claimer is passed)
 *   BUG_NO_RECYCLE_SWEEP     lp__recycle does not sweep (a sweep that stopped at an older
 *                            round is never resumed)
 *   BUG_DROP_NO_LOOK         lp__token_drop only decrements woken: a release that found the
 *                            limit reached left its free slot to nobody (lost wake-up, with QUIT)
 *   BUG_NO_INFLIGHT          RESTRICTED's tick ignores a pending rotation (the rule before
 *                            a0722c7, without its `owed`); not caught at the sizes we can run
 *   BUG_CLEAR_ANY            a RESTRICTED hand-off clears whatever rotation is pending, not
 *                            only its own tag; not caught at the sizes we can run
 *   BUG_NO_ROTATION          RESTRICTED never hands off for age (the clock is ignored): a
 *                            running process can take every slot while process 0 waits (A7)
 *   BUG_CLAIMING_HIDES       RESTRICTED's turn looks past a CLAIMING wait, as the C did before
 *                            the fix: a starving lp_get_async wait that is CLAIMING at every
 *                            release's look is never handed a slot (LTL served; not registered:
 *                            async waits still fail `served` without it, README.md)
 *   BUG_SELF_RETRY           RESTRICTED: the post-publish look serves its own async wait a retry
 *                            (the C before lp__take_own): a starving async wait is overtaken for
 *                            ever (LTL served with async waits)
 *   BUG_TAKE_OWN_PUTS_BACK   lp__take_own, its withdrawal lost, puts its slot back and stays
 *                            pending (LTL served with async waits)
 *   BUG_TAKE_OWN_LP_OK       lp__take_own, its withdrawal lost, collects, keeps a slot and returns
 *                            LP_OK after the waker was called (A8)
 *   BUG_DROP_LOOK_FIRST      lp__token_drop looks at the queue and slots before its decrement:
 *                            a release between the look and the decrement skips, and the
 *                            look missed its unlock (the Dekker order broken; with QUIT)
 */

#ifndef NSLOTS
#define NSLOTS 1
#endif
#ifndef NCELLS
#define NCELLS 2
#endif
#ifndef NPROC
#define NPROC 3
#endif
#ifndef ROUNDS
#define ROUNDS 4 /* the C's minimum (lp__test_set_rounds) */
#endif
#define LIMIT (NCELLS * ROUNDS)
#ifndef MAXLAG
#define MAXLAG (LIMIT / 2 - NCELLS)
#endif
#ifndef RETRY_WAKES
#define RETRY_WAKES 1 /* p->retry_wakes, K: "retry" wakes in flight at most (C default 4) */
#endif

#ifndef BOUND
#define BOUND 2 /* RESTRICTED: p->bypass_turns (C: LP_BYPASS_BOUND_DEFAULT) */
#endif
#ifndef BYPASS_MAX
#define BYPASS_MAX (NPROC * BOUND + NSLOTS + NPROC - 1) /* A7 (pool/DESIGN.md, "The bound") */
#endif

#if !defined(MODE_FAIR) && !defined(MODE_BARGING) && !defined(MODE_RESTRICTED)
#define MODE_FAIR
#endif
#ifdef MODE_RESTRICTED
#define RESTR 1
#else
#define RESTR 0
#endif

#define S_FREE 0
#define S_HELD 1

/* C: lp_internal.h cell states; word = round << 3 | state */
#define EMPTY     0
#define CLAIMING  1
#define WAITING   2
#define UPDATING  3
#define GRANTED   4
#define READY     5
#define CANCELLED 6
#define CW(rr, st) ((rr) * 8 + (st))
#define ST(ww)     ((ww) % 8)
#define RD(ww)     ((ww) / 8)
#define CELL(tk)   ((tk) % NCELLS)
#define RND(tk)    ((tk) / NCELLS)
#define NEXT(tk)   (((tk) + 1) % LIMIT)
#define NEXTR(rr)  (((rr) + 1) % ROUNDS)
#define DIST(from, to) ((to) >= (from) -> (to) - (from) : (to) + LIMIT - (from)) /* lp__dist */
/* lp__round_cmp: 0 equal, 1 a newer, 2 a older */
#define RDIFF(a, b) ((a) >= (b) -> (a) - (b) : (a) + ROUNDS - (b))
#define RCMP(a, b)  (RDIFF(a, b) == 0 -> 0 : (RDIFF(a, b) < ROUNDS / 2 -> 1 : 2))
#define FREEST(st)  ((st) == EMPTY || (st) == CANCELLED)

#define RETRY  254 /* LP__NO_SLOT deposited: "retry" */
#define NOSLOT 255
#define ID(p)  ((p) + 1)

/* park word (lp_sync.c) */
#define P_RUNNING  0
#define P_WOKEN    1
#define P_SLEEPING 2

/* lp__deliver / lp__serve results */
#define DELIVERED 0
#define SKIPPED   2
#define NOBODY    3 /* lp__serve(NO_SLOT) found the queue empty (8926230) */
#define GAVE      4 /* RESTRICTED: a retry meant for a parked wait was a free slot (the token stays ours) */

/* ---- pool memory ---------------------------------------------------------------- */
bit  sstate[NSLOTS]; /* lp__slot.state */
byte head;           /* lp__pool.head */
byte tail;           /* lp__pool.tail */
byte cellw[NCELLS];  /* lp__cell.word */
byte cslot[NCELLS];  /* lp__cell.slot */
byte crec[NCELLS];   /* lp__cell.rec: ID of the record's owner */
byte park[NCELLS];   /* lp__cell.park: the sync layer's futex word */
byte woken;          /* lp__pool.woken: retry tokens in flight (BARGING) */
bit  cnudge[NCELLS]; /* lp__cell.nudge != NULL: the cell's wait is a sync-layer (parked) one */
byte starving;       /* lp__pool.starving (RESTRICTED: async waits that lost a retry past the bound) */
/* RESTRICTED's clock: the C keeps turns and each wait's born; the model keeps each wait's age
 * turns - born, saturated at BOUND (only "age >= BOUND" is ever asked). */
byte age[NPROC];
byte tclk;           /* RESTRICTED: turns % BOUND (every BOUND-th tick is a rotation hand-off) */
/* lp__pool.rotating: 0, or the tag of a rotation decided and not yet landed (the C's tag is the
 * tick number | 1, unique for 2^32 / bypass_turns rotations; the model picks the smallest tag
 * that no process holds, which is exactly "unique" without a wrap) */
byte rot;
byte vtag[NPROC];    /* the tag a deciding release read or stored, cleared by its hand-off */
bit  inwait[NPROC];  /* a wait has begun (born is set) and not ended */
bit  starv[NPROC];   /* this wait is counted in starving */
/* ---- caller memory -------------------------------------------------------------- */
bit  parkedrec[NPROC]; /* rec->lp__waker_.ctx == LP__PARKED_CTX (sync wait) */
byte wkr[NPROC];       /* async: id of the current waker (1 or 2; poll(new_waker) swaps) */
byte called[NPROC];    /* async: id of the waker last called (0 = none since the task ran) */
#ifdef MODE_RESTRICTED
bit  calledq[NPROC];   /* ghost (A8): a waker of the current queueing has been called */
#define CALLEDQ_SET(q) calledq[q] = 1
#define CALLEDQ_CLR calledq[me] = 0
#else
#define CALLEDQ_SET(q) skip
#define CALLEDQ_CLR skip
#endif
/* ---- ghost state (not in the C) ------------------------------------------------- */
byte owner[NSLOTS];    /* ID of the caller holding the slot */
byte busy;             /* callers inside an operation or holding a slot */
byte livemask;         /* bit c: cell c holds a published, unserved, uncancelled wait (A3) */
bit  patient[NPROC];   /* this wait never gives up: it must be served (LTL served) */
bit  asleep[NPROC];    /* futex-waiting or an async task waiting for its waker (LTL wakeup) */
bit  rec_live[NPROC];  /* the caller's lp_wait may be dereferenced by the pool (A4) */
bit  sweeping[NPROC];  /* inside lp__sweep (LTL sweepends) */
byte lag[NPROC];       /* 1 + queue moves seen in the current window; 0 = no window */
/* A7 (RESTRICTED): grants to other processes since process 0's blocking wait was published */
bit  pub0;
byte byp;
/* lp__sweep's `end` (the tail at its look) + 1; 0 = not sweeping, or head moved past end.
 * A head move past it clears it: the C's wrapped-distance test, exact (no ticket wrap). */
byte sweep_end[NPROC];
/* RESTRICTED: lp__pass_dead's `end` (the nudge walk's tail read) + 1, tracked the same way */
byte pass_end[NPROC];
#define PASS_END(q, old) if :: (q) < NPROC && sweep_end[q] == (old) + 1 -> sweep_end[q] = 0 :: else fi; \
                         if :: (q) < NPROC && pass_end[q] == (old) + 1 -> pass_end[q] = 0 :: else fi
#define PASS_ENDS(old) PASS_END(0, old); PASS_END(1, old); PASS_END(2, old); PASS_END(3, old)

#define LAG_Q_OK(q) ((q) >= NPROC || (q) == me || lag[q] <= MAXLAG)
#define LAG_Q_BUMP(q) if :: (q) < NPROC && (q) != me && lag[q] > 0 && lag[q] <= MAXLAG -> lag[q]++ :: else fi
#if NCELLS > 1
/* A served ticket's cell keeps round r (GRANTED/READY) until its owner collects: a window too.
 * Without it a third process could wrap the ring (LIMIT moves) meanwhile and a claimer at
 * t + LIMIT would read "round r, in use" as a claim to help past, a server then find READY(r)
 * (A5): the C's 2^29-ticket wrap scaled down (with one cell the guard stops the queue instead). */
byte lagc[NPROC];      /* 1 + queue moves since our ticket was served; 0 = none uncollected */
#define LAGC_Q_OK(q) ((q) >= NPROC || (q) == me || lagc[q] <= MAXLAG)
#define LAGC_Q_BUMP(q) if :: (q) < NPROC && (q) != me && lagc[q] > 0 && lagc[q] <= MAXLAG -> lagc[q]++ :: else fi
#define LAGC_SET(q) lagc[q] = 1
#define LAGC_CLR lagc[me] = 0
#else
#define LAGC_Q_OK(q) true
#define LAGC_Q_BUMP(q) skip
#define LAGC_SET(q) skip
#define LAGC_CLR skip
#endif
#define LAG_OK (LAG_Q_OK(0) && LAG_Q_OK(1) && LAG_Q_OK(2) && LAG_Q_OK(3) && \
                LAGC_Q_OK(0) && LAGC_Q_OK(1) && LAGC_Q_OK(2) && LAGC_Q_OK(3))
#define LAG_BUMP LAG_Q_BUMP(0); LAG_Q_BUMP(1); LAG_Q_BUMP(2); LAG_Q_BUMP(3); \
                 LAGC_Q_BUMP(0); LAGC_Q_BUMP(1); LAGC_Q_BUMP(2); LAGC_Q_BUMP(3)

#define SLOTS_FREE (sstate[0] == S_FREE && sstate[NSLOTS - 1] == S_FREE)
#define CELLS_IDLE (ST(cellw[0]) == EMPTY && ST(cellw[NCELLS - 1]) == EMPTY)
#define QUIESCENT_OK (SLOTS_FREE && head == tail && CELLS_IDLE && livemask == 0 && woken == 0)

#ifdef MODE_FAIR
#define FAIRM 1
#else
#define FAIRM 0
#endif

/* C: lp_pool.c lp__sweep (bb01bed's sweep, bounded by the tail at its look: `end`).
 * Uses h, w, ok and sweep_end[me]. */
inline sweep() {
    d_step { /* head, then tail = end (seq_cst loads), see (b) */
        if
        :: head == tail -> ok = 0
        :: else -> h = head; sweep_end[me] = tail + 1; ok = 1; lag[me] = 1; sweeping[me] = 1
        fi
    };
    do
    :: !ok -> break
    :: else ->
       d_step { /* the cell (seq_cst load), then by round and state */
           w = cellw[CELL(h)];
#ifndef BUG_SWEEP_READ_THEN_PASS
           if
           :: RCMP(RD(w), RND(h)) == 2 -> ok = 0                    /* older round: its owner re-sweeps */
           :: RCMP(RD(w), RND(h)) == 0 && ST(w) == EMPTY ->         /* kill first, see (a) */
               cellw[CELL(h)] = CW(NEXTR(RND(h)), EMPTY)
           :: RCMP(RD(w), RND(h)) == 0 && ST(w) != EMPTY && ST(w) != CANCELLED -> ok = 0  /* live */
           :: else                                                  /* CANCELLED(r) or newer: pass */
           fi;
#else
           /* the sweep before bb01bed: "dead" = another round, EMPTY or CANCELLED; no kill */
           ok = (RD(w) != RND(h) || FREEST(ST(w)));
#endif
           if :: !ok -> lag[me] = 0 :: else fi
       };
       if
       :: !ok -> break
       :: else
       fi;
       d_step { /* CAS head h->h+1 (seq_cst); lost: head moved, look again */
           if
           :: head == h && LAG_OK -> head = NEXT(h); PASS_ENDS(h); LAG_BUMP;
#ifndef BUG_SWEEP_READ_THEN_PASS
               ok = (RD(w) == RND(h) && ST(w) == CANCELLED)
#else
               ok = (RD(w) == RND(h))
#endif
           :: head != h -> ok = 0
           fi;
           if :: !ok -> lag[me] = 0 :: else fi
       };
       if
       :: ok ->   /* we retired a cancelled ticket: recycle its cell */
           d_step { /* CAS cell w -> EMPTY(r+1) (seq_cst); fails if brought forward/claimed */
               if
               :: cellw[CELL(h)] == w -> cellw[CELL(h)] = CW(NEXTR(RND(h)), EMPTY)
               :: else
               fi;
               lag[me] = 0
           }
       :: else
       fi;
       d_step { /* head again (seq_cst load): stop at end, or once others moved head past it */
           if
           :: sweep_end[me] == 0 || head + 1 == sweep_end[me] -> ok = 0
           :: else -> h = head; ok = 1; lag[me] = 1
           fi
       }
    od;
    atomic { h = 0; w = 0; ok = 0; sweep_end[me] = 0; sweeping[me] = 0 }
}

/* C: lp__deliver(h, give, has_token) (lp_pool.c). Result in res. Uses w, gs. A RETRY deposits
 * the caller's token, or with notok (lp__pass_dead) one taken here (woken++). RESTRICTED: a
 * RETRY that reaches a published parked wait is a free slot instead if one can be taken (GAVE:
 * no token deposited); the record is read (rec->ctx), then the slots are scanned, then the
 * deposit: RETRY only if every slot was held. */
#define DEPOSIT_RETRY d_step { cslot[CELL(h)] = RETRY; if :: notok -> woken++ :: else -> tok-- fi }   /* ghost tok--: the token is in the cell now */
inline deliver() {
    d_step { /* seq_cst load, round test, CAS by state (load folded into the CAS loop) */
        w = cellw[CELL(h)]; lag[me] = 0;
        if
        :: RD(w) != RND(h) -> res = SKIPPED                            /* skipped / retired */
        :: RD(w) == RND(h) && FREEST(ST(w)) ->
            cellw[CELL(h)] = CW(NEXTR(RND(h)), EMPTY); res = SKIPPED    /* kill / recycle */
        :: RD(w) == RND(h) && (ST(w) == CLAIMING || ST(w) == WAITING || ST(w) == UPDATING) ->
            cellw[CELL(h)] = CW(RND(h), GRANTED); res = DELIVERED;
            livemask = livemask & ~(1 << CELL(h)); LAGC_SET(crec[CELL(h)] - 1);
            if :: give != RETRY -> cslot[CELL(h)] = give :: else fi
            if :: crec[CELL(h)] == 1 && give != RETRY -> pub0 = 0 :: else fi   /* A7: served */
        :: else -> res = SKIPPED; assert(false)  /* A5: "GRANTED/READY of round r: never us twice" */
        fi
    };
    if
    :: res == DELIVERED && give == RETRY && ST(w) != WAITING -> DEPOSIT_RETRY
    :: else
    fi;
    if
    :: res == DELIVERED && ST(w) == WAITING ->   /* L246-261 */
        d_step { /* read rec->lp__waker_ (the record is dereferenced here) */
            assert(crec[CELL(h)] > 0 && rec_live[crec[CELL(h)] - 1]);  /* A4 */
            ok = parkedrec[crec[CELL(h)] - 1]
        };
#ifdef MODE_RESTRICTED
        if   /* lp__scan from the caller's start (relaxed peek + acquire CAS per slot) */
        :: ok && give == RETRY ->
            gs = 0;
            do
            :: gs < NSLOTS -> d_step {
                   if
                   :: sstate[(me + gs) % NSLOTS] == S_FREE -> sstate[(me + gs) % NSLOTS] = S_HELD;
                       cslot[CELL(h)] = (me + gs) % NSLOTS; res = GAVE; gs = NSLOTS;
                       if :: crec[CELL(h)] == 1 -> pub0 = 0 :: else fi   /* A7: served */
                   :: else -> gs++
                   fi }
            :: else -> break
            od;
            gs = 0
        :: else
        fi;
#endif
        if :: give == RETRY && res == DELIVERED -> DEPOSIT_RETRY :: else fi;
        if
        :: ok -> /* parked: READY, then wake(&c->park): touches pool memory only */
            d_step { cellw[CELL(h)] = CW(RND(h), READY) };
            d_step { park[CELL(h)] = P_WOKEN }   /* lp__park_wake: xchg WOKEN (+ FUTEX_WAKE) */
        :: else ->
#ifdef BUG_WAKE_AFTER_READY
            d_step { cellw[CELL(h)] = CW(RND(h), READY) };
            d_step { assert(rec_live[crec[CELL(h)] - 1]); /* A4: reads rec->waker after READY */
                     called[crec[CELL(h)] - 1] = wkr[crec[CELL(h)] - 1]; CALLEDQ_SET(crec[CELL(h)] - 1) }
#else
            d_step { called[crec[CELL(h)] - 1] = wkr[crec[CELL(h)] - 1]; CALLEDQ_SET(crec[CELL(h)] - 1) };  /* wk.wake(wk.ctx) */
            d_step { cellw[CELL(h)] = CW(RND(h), READY) }                  /* store READY (release) */
#endif
        fi;
        ok = 0
    :: res != SKIPPED && ST(w) != WAITING ->
        /* CLAIMING (owner in lp__claim/lp__rescan) / UPDATING (in lp_wait_poll): it collects, no waker */
        d_step { cellw[CELL(h)] = CW(RND(h), READY) }
    :: else
    fi;
    w = 0
}

/* C: lp__serve(give) (lp_pool.c:290-316): the oldest waiter gets `give`. Result in res:
 * NOBODY when give == RETRY found the queue empty (8926230); GAVE when a free slot went instead
 * of the retry (RESTRICTED, a parked wait: deliver). */
inline serve() {
    do
    :: d_step { /* head/tail seq_cst loads + CAS head h->h+1, see (c) */
           if
           :: head == tail -> ok = 0
           :: head != tail && LAG_OK -> h = head; head = NEXT(head); PASS_ENDS(h); ok = 1; LAG_BUMP; lag[me] = 1;
               /* ghost: a visible wait whose ticket a server claimed is being served */
               if
               :: RD(cellw[CELL(h)]) == RND(h) && (ST(cellw[CELL(h)]) == CLAIMING ||
                      ST(cellw[CELL(h)]) == WAITING || ST(cellw[CELL(h)]) == UPDATING) ->
                   livemask = livemask & ~(1 << CELL(h))
               :: else
               fi
           fi
       };
       if
       :: !ok && give == RETRY -> res = NOBODY; break
       :: !ok && give != RETRY ->
           d_step { sstate[give] = S_FREE };            /* xchg FREE (seq_cst) */
           if
           :: d_step { head == tail -> res = DELIVERED }; break   /* lp__queue_empty_seq_cst */
           :: d_step { head != tail -> skip }
           fi;
           d_step { /* CAS FREE->HELD (acquire): if someone beat us to it, they serve */
               if
               :: sstate[give] == S_FREE -> sstate[give] = S_HELD; ok = 1
               :: else -> ok = 0; res = DELIVERED
               fi
           };
           if :: !ok -> break :: else fi
       :: ok ->
           deliver();
           if
           :: res != SKIPPED -> mv = (give != RETRY); sweep(); break   /* dead tickets behind the served one (res kept: sweep does not touch it) */
           :: else
           fi
       fi
    od;
    atomic { h = 0; ok = 0; give = NOSLOT }
}

/* ---- C: the retry token (lp_pool.c:357-402, 8926230; BARGING) ------------------------
 * woken counts the tokens in flight; tok (local) those in this caller's hands. A token is
 * taken by a waking release (or a holder's drop that wakes), deposited with the RETRY
 * (deliver: tok--), collected with it (collect: tok++) and held until the retry ends
 * (lp__acquire's drops, lp__pass_on). */

/* C: lp__token_take (L369-376): seq_cst load, CAS n -> n+1 while n < K; the load only feeds
 * the CAS, which re-reads on failure: one step, see (a). Sets ok. */
inline token_take() {
    d_step {
        if
        :: woken < RETRY_WAKES -> woken++; tok++; ok = 1
        :: else -> ok = 0
        fi
    }
}

/* C: lp__any_slot_free (L382-386): a seq_cst load of each slot, one step each (NSLOTS <= 2,
 * as SLOTS_FREE). Sets ok. */
inline any_slot_free() {
    d_step { ok = (sstate[0] == S_FREE) };
    if
    :: !ok && NSLOTS > 1 -> d_step { ok = (sstate[NSLOTS - 1] == S_FREE) }
    :: else
    fi
}

#ifdef MODE_RESTRICTED
/* C: lp__restricted_turn (lp__waiter_queued + the tick): a live wait from head (dead tickets
 * passed; a CLAIMING one counts) ticks the clock; a hand-off if a wait starves or that
 * one is due. The head/tail/cell loads are relaxed inputs of a heuristic that only chooses
 * between two modelled paths: one step; the tick (relaxed fetch_add) is another. Sets ok. */
inline restricted_turn() {
    d_step {
        h = head; ok = 0; i = 0;
        do
        :: h == tail -> break
        :: h != tail ->
            w = cellw[CELL(h)];
            if
            :: RD(w) != RND(h) -> h = NEXT(h); if :: i == 3 -> i = 4 :: else fi   /* a dead ticket passed */
#ifndef BUG_CLAIMING_HIDES
            :: RD(w) == RND(h) && (ST(w) == CLAIMING || ST(w) == WAITING || ST(w) == UPDATING) -> ok = 1; break
            :: RD(w) == RND(h) && (ST(w) == EMPTY || ST(w) == CANCELLED) -> h = NEXT(h)
#else
            :: RD(w) == RND(h) && (ST(w) == WAITING || ST(w) == UPDATING) -> ok = 1; break
            :: RD(w) == RND(h) && (ST(w) == EMPTY || ST(w) == CLAIMING || ST(w) == CANCELLED) -> h = NEXT(h)
#endif
            :: RD(w) == RND(h) && (ST(w) == GRANTED || ST(w) == READY) -> break
            fi
        od;
        h = 0; w = 0
    };
    if
    :: ok -> d_step { /* t = turns++ (every begun wait ages by one); i: t % BOUND == 0 */
            tclk = (tclk + 1) % BOUND;
            if :: inwait[0] && age[0] < BOUND -> age[0]++ :: else fi;
            if :: NPROC > 1 && inwait[1] && age[1] < BOUND -> age[1]++ :: else fi;
            if :: NPROC > 2 && inwait[2] && age[2] < BOUND -> age[2]++ :: else fi;
            i = (tclk == 0) };
#if defined(BUG_NO_ROTATION)
        d_step { ok = (starving > 0); i = 0 }   /* seeded: the clock is ignored, nobody is ever due */
#else
        /* pending = rotating (relaxed load): a rotation in flight, hand off with its tag */
        d_step {
#ifndef BUG_NO_INFLIGHT
            vtag[me] = rot; ok = (rot != 0)
#else
            ok = 0   /* seeded: the old rule, a pending rotation is ignored */
#endif
        };
        if
        :: ok -> skip
        :: !ok && i -> d_step { /* a rotation tick: rotating = t | 1 (relaxed store) */
                pc2 = 1;
                do
                :: pc2 == rot || pc2 == vtag[0] || NPROC > 1 && pc2 == vtag[1] || NPROC > 2 && pc2 == vtag[2] -> pc2++
                :: else -> break
                od;
                rot = pc2; vtag[me] = pc2; pc2 = 0; ok = 1 }
        :: !ok && !i -> d_step { ok = (starving > 0) }   /* relaxed: a wait starving (no tag) */
        fi;
        i = 0
#endif
    :: else -> i = 0
    fi
}

/* C: after a RESTRICTED hand-off (lp__serve returned): CAS rotating v -> 0, completing the
 * rotation whose tag this release read or stored (a newer rotation's tag is left alone). */
inline rotation_landed() {
#ifdef BUG_CLEAR_ANY
    d_step { rot = 0; vtag[me] = 0 }   /* seeded: any hand-off ends whatever rotation is in flight */
#else
    d_step { if :: vtag[me] != 0 && rot == vtag[me] -> rot = 0 :: else fi; vtag[me] = 0 }   /* relaxed CAS */
#endif
}

/* C: lp__pass_dead(end = pc2): move head over the tickets before the nudge walk's tail read as
 * a server does (head CAS, then deliver a RETRY with no token of ours, notok), never beyond it.
 * srv: a ticket that turned live (a late claim) was served. Uses h, w, ok, res, give, gs. */
inline pass_dead() {
    srv = 0; notok = 1;
    do
    :: d_step { /* head (seq_cst), reached the walk's tail read? else CAS head h->h+1, see (c) */
           if
           :: pass_end[me] == 0 || head + 1 == pass_end[me] -> ok = 0
           :: pass_end[me] != 0 && head + 1 != pass_end[me] && LAG_OK -> h = head; head = NEXT(head); PASS_ENDS(h); ok = 1; LAG_BUMP; lag[me] = 1;
               if   /* ghost: a visible wait whose ticket a server claimed is being served */
               :: RD(cellw[CELL(h)]) == RND(h) && (ST(cellw[CELL(h)]) == CLAIMING ||
                      ST(cellw[CELL(h)]) == WAITING || ST(cellw[CELL(h)]) == UPDATING) ->
                   livemask = livemask & ~(1 << CELL(h))
               :: else
               fi
           fi
       };
       if
       :: !ok -> break
       :: else -> give = RETRY; deliver(); if :: res != SKIPPED -> srv = 1 :: else fi; res = 0
       fi
    od;
    atomic { notok = 0; give = NOSLOT; h = 0; ok = 0 }
}

/* C: lp__nudge_head: walk from head (seq_cst head, tail, then each cell) to the oldest live
 * ticket: a published parked wait is woken where it waits (kept queued): i = 0; an async one
 * (WAITING without nudge, UPDATING): i = 1 (the caller wakes the oldest to retry), or i = 5 if
 * that wait is the caller's own (LP__OWN_HEAD; the C passes its own wait only from the
 * post-publish look, and the other callers assert they never see i = 5); CLAIMING:
 * i = 2 (its enqueuer looks after publishing); none live: i = 3 (a wait queued after the tail
 * read looks after publishing); dead tickets passed and none live: swept, then passed by
 * pass_dead up to the tail read, i = 3; if that pass served a ticket that turned live and a
 * slot is free with the queue non-empty, walk again. One step per load. */
inline nudge_head() {
    do
    :: d_step { h = head; pc2 = tail; i = 3; pass_end[me] = tail + 1 };   /* 3: no live ticket (LP__NOBODY_LIVE) */
       do
       :: h == pc2 -> break
       :: h != pc2 -> d_step {
               w = cellw[CELL(h)];
               if
               :: RD(w) != RND(h) -> h = NEXT(h); if :: i == 3 -> i = 4 :: else fi   /* a dead ticket passed */
               :: RD(w) == RND(h) && ST(w) == WAITING && cnudge[CELL(h)] -> i = 0
               :: RD(w) == RND(h) && (ST(w) == WAITING && !cnudge[CELL(h)] || ST(w) == UPDATING) ->
#ifndef BUG_SELF_RETRY
                   i = (crec[CELL(h)] == ID(me) -> 5 : 1); h = pc2   /* 5: our own wait (LP__OWN_HEAD) */
#else
                   i = 1; h = pc2   /* seeded: the look serves its own wait a retry (the C before lp__take_own) */
#endif
               :: RD(w) == RND(h) && ST(w) == CLAIMING -> i = 2; h = pc2
               :: RD(w) == RND(h) && (ST(w) == EMPTY || ST(w) == CANCELLED) -> h = NEXT(h); if :: i == 3 -> i = 4 :: else fi
               :: RD(w) == RND(h) && (ST(w) == GRANTED || ST(w) == READY) -> h = NEXT(h)
               fi;
               w = 0
           };
           if
           :: i == 0 -> d_step { park[CELL(h)] = P_WOKEN }; break   /* nudge(&c->park): xchg WOKEN (+ FUTEX_WAKE) */
           :: else
           fi
       od;
       if   /* dead tickets only: sweep them, then pass what the sweep could not, up to the tail read */
       :: i == 4 -> sweep(); pass_dead(); i = 3;
           if :: srv -> d_step { ok = (head != tail) }; if :: ok -> any_slot_free() :: else fi :: else -> ok = 0 fi;
           srv = 0;
           if :: ok -> ok = 0 :: else -> break fi   /* a served late claim and a free slot: walk again */
       :: else -> break
       fi
    od;
    atomic { h = 0; pc2 = 0; pass_end[me] = 0; ok = (i == 1) }   /* ok: the caller's (token_drop: 1 on its retry path) */
}
#endif

/* C: lp__token_drop (L390-396): give the token back, then do what the releases that found
 * none left to take left to us: queue non-empty (seq_cst look, see (b)) and a slot free:
 * take a token and wake the oldest waiter; nobody there: drop that one too. */
inline token_drop() {
#ifdef BUG_DROP_LOOK_FIRST
    /* seeded: the look before the decrement (Dekker order broken) */
    d_step { ok = (head != tail) };
    if :: ok -> d_step { ok = (sstate[0] == S_FREE || sstate[NSLOTS - 1] == S_FREE) } :: else fi;
    d_step { assert(woken > 0 && tok > 0); woken--; tok-- };
    if :: ok -> token_take() :: else fi;
    if
    :: ok -> give = RETRY; serve();
        if :: res == NOBODY -> d_step { woken--; tok-- } :: else fi
    :: else
    fi;
#elif defined(BUG_DROP_NO_LOOK)
    d_step { assert(woken > 0 && tok > 0); woken--; tok-- };   /* seeded: decrement only, no look */
#else
    do
    :: d_step { assert(woken > 0 && tok > 0); woken--; tok-- };   /* fetch_sub (seq_cst) */
       d_step { ok = (head != tail) };          /* lp__queue_empty_seq_cst, see (b) */
       if :: ok -> any_slot_free() :: else fi;
#ifdef MODE_RESTRICTED
       if   /* RESTRICTED: a parked head is nudged, not given a token; a claimer looks itself */
       :: ok -> nudge_head(); assert(i != 5);   /* a drop never runs while its own wait is published */
           if :: i != 1 -> i = 0; break :: else -> i = 0 fi
       :: else
       fi;
#endif
       if :: ok -> token_take() :: else fi;
       if
       :: !ok -> break
       :: else -> give = RETRY; serve();
           if :: res == DELIVERED -> break :: else fi  /* nobody after all, or a slot instead: drop that one too */
       fi
    od;
#endif
    atomic { ok = 0; res = 0 }   /* atomic: spin rejects the break into a d_step here */
}

#ifdef MODE_RESTRICTED
/* C: lp__restricted_wake: nudge a parked head, else wake the oldest to retry (lp__wake_retry).
 * The oldest being the caller's own async wait (its post-publish look): no retry to itself (its
 * serve would move head past it and re-queue it at the back, turning a releaser's concurrent
 * hand-off into a serve of an empty queue); ok = 1: the caller takes the slot itself. */
inline restricted_wake() {
    nudge_head();
    if
    :: i == 1 -> i = 0; token_take();
        if
        :: ok -> give = RETRY; serve();
            if :: res != DELIVERED -> token_drop() :: else fi   /* NOBODY, or GAVE: our token is unused */
        :: else
        fi;
        ok = 0
    :: i == 5 -> i = 0; ok = 1
    :: else -> i = 0; ok = 0
    fi
}

/* C: lp__look_after_move: after a hand-off or a withdrawal moved the head: queue non-empty
 * (seq_cst, see (b)) and a slot free: wake the new head. */
inline look_after_move() {
    d_step { ok = (head != tail) };
    if :: ok -> any_slot_free() :: else fi;
    if :: ok -> restricted_wake(); assert(!ok) :: else fi;   /* no own wait is live here */
    ok = 0
}
#endif

/* C: lp__after_unlock(rs) (lp_pool.c:421-433): a waiter enqueued while we unlocked */
inline after_unlock() {
#ifdef MODE_RESTRICTED
    if
    :: !upd2 -> restricted_turn();                  /* the hint missed the waiter: tick here */
        if
        :: ok -> d_step { /* due: CAS FREE->HELD (acquire), hand off; if a running thread
                           * took the slot first, `rotating` stays set: the next tick hands off */
                if
                :: sstate[rs] == S_FREE -> sstate[rs] = S_HELD; ok = 1
                :: else -> ok = 0; vtag[me] = 0
                fi }
        :: else
        fi
    :: else -> ok = 0
    fi;
    if
    :: ok -> give = rs; serve(); if :: mv -> look_after_move() :: else fi; mv = 0; rotation_landed()
    :: else -> restricted_wake(); assert(!ok)   /* a releaser has no wait of its own */
    fi
#elif defined(MODE_FAIR)
    d_step { /* CAS FREE->HELD (acquire) */
        if
        :: sstate[rs] == S_FREE -> sstate[rs] = S_HELD; ok = 1
        :: else -> ok = 0
        fi
    };
    if
    :: ok -> give = rs; serve()
    :: else
    fi
#else
    /* C: lp__wake_retry (L400-402): wake the oldest waiter to retry only with a token; at
     * the limit, leave the free slot to the holders (their drop looks at the slots) */
    token_take();
    if
    :: ok -> give = RETRY; serve();
        if :: res == NOBODY -> token_drop() :: else fi
    :: else
    fi
#endif
}


/* C: lp__release / lp__release_slow of slot rs (lp_put; lp_pool.c:356-384). The C's two
 * relaxed looks (fast path, then release_slow) are one look: see (b). */
inline release() {
#ifdef MODE_RESTRICTED
    d_step { upd2 = (head != tail) };             /* relaxed looks, see (b): counted below */
    if :: upd2 -> restricted_turn() :: else -> ok = 0 fi;
#else
    d_step { ok = (FAIRM && head != tail) };      /* relaxed looks, see (b): FAIR hand-off? */
#endif
    if
    :: ok -> give = rs; serve()                     /* hand-off: the slot stays HELD */
#ifdef MODE_RESTRICTED
        ; if :: mv -> look_after_move() :: else fi; mv = 0; rotation_landed()
#endif
    :: else ->
        d_step { sstate[rs] = S_FREE };             /* xchg FREE (seq_cst) */
#ifndef BUG_NO_PUT_RECHECK
        if
        :: d_step { head != tail -> skip }; after_unlock()  /* seq_cst re-check */
        :: d_step { head == tail -> skip }
        fi
#endif
    fi;
    d_step { rs = NOSLOT; ok = 0; res = 0; upd2 = 0 }
}

/* C: lp__try_get_at / lp__scan from this caller's start index (lp_pool.c:159-198). Sets s, ok. */
inline scan() {
    i = 0;
    do
    :: i < NSLOTS ->
        d_step { /* relaxed peek + CAS FREE->HELD (acquire) */
            s = (me + i) % NSLOTS;
            if
            :: sstate[s] == S_FREE -> sstate[s] = S_HELD; ok = 1; i = 0;
                assert(!FAIRM || (snap & livemask) == 0)   /* A3: no waiter seen at the look is passed */
            :: else -> ok = 0; s = NOSLOT; i++
            fi
        };
        if :: ok -> break :: else fi
    :: else -> ok = 0; i = 0; break
    od
}

/* C: lp__collect (lp_pool.c:610-616) = lp__await_ready (L63-67) + lp__recycle (L49-53):
 * await READY, take the slot, recycle our cell, then sweep (a sweep may have stopped at a
 * later ticket of this cell while we held it). Uses h, w, ok (sweep). */
inline collect() {
    d_step { cellw[CELL(t)] == CW(RND(t), READY) ->   /* await_ready (acquire reload) */
             got = cslot[CELL(t)]; cellw[CELL(t)] = CW(NEXTR(RND(t)), EMPTY); LAGC_CLR;  /* store release */
             if :: got == RETRY -> tok++ :: else fi }   /* a "retry": we hold its token */
#ifndef BUG_NO_RECYCLE_SWEEP
    ; sweep()                                          /* if queue non-empty (seq_cst), see (b) */
#endif
}

/* C: lp__wait_requeues (RESTRICTED): a wait that collected a "retry" ends its starving count
 * (lp__collect's lp__wait_ended), and if past the bound, or a sync-layer wait, starts one again
 * before re-queueing. */
inline requeues() {
    d_step {
        if :: starv[me] -> starving--; starv[me] = 0 :: else fi;
        if :: RESTR && (age[me] >= BOUND || parkedrec[me]) -> starv[me] = 1; starving++ :: else fi
    }
}

/* C: lp__wait_ended: the wait is over (served, withdrawn, LP_EFULL). Inside an atomic. */
inline wait_ends() {
    if :: starv[me] -> starving--; starv[me] = 0 :: else fi;
    inwait[me] = 0; age[me] = 0;
    if :: me == 0 -> pub0 = 0; byp = 0 :: else fi
}

proctype worker(byte me)
{
    byte s = NOSLOT;    /* slot in hand */
    byte rs = NOSLOT;   /* slot being released */
    byte give = NOSLOT; /* what serve() hands out */
    byte got;           /* what our mailbox held */
    byte t;             /* our ticket */
    byte h, w, i, res, snap;
    byte pc;            /* sync: the cell whose park word we sleep on */
    byte tok;           /* retry tokens in our hands (lp__acquire's `token`, pass_on's) */
    bit ok, upd, async, requeued;
    byte gs;            /* deliver: the slot scan's index (RESTRICTED: a free slot instead of a retry) */
    bit notok, srv;     /* pass_dead: deliver without a token of ours; it served a ticket */
    bit mv;             /* serve() delivered a slot (RESTRICTED: look after the move) */
    byte pc2;           /* nudge_head: the tail it read */
    bit upd2;           /* RESTRICTED release: its relaxed hint saw waiters (the clock ticked) */

idle:
    if
#ifndef NO_TRYGET
    :: d_step { busy++ }; goto try_get
#endif
#ifndef NO_SYNC
    /* lp_get / lp_get_timeout: try_get first, then a parked wait */
    :: d_step { busy++; rec_live[me] = 1; parkedrec[me] = 1; patient[me] = 1 }; goto sync_get
#ifndef NO_TIMEOUT
    :: d_step { busy++; rec_live[me] = 1; parkedrec[me] = 1; patient[me] = 0 }; goto sync_get
#endif
#endif
#ifndef NO_ASYNC
    /* lp_get_async with an ordinary waker */
    :: d_step { busy++; rec_live[me] = 1; async = 1; wkr[me] = 1; patient[me] = 1; inwait[me] = 1; age[me] = 0 }; goto acquire
#ifndef NO_TIMEOUT
    :: d_step { busy++; rec_live[me] = 1; async = 1; wkr[me] = 1; patient[me] = 0; inwait[me] = 1; age[me] = 0 }; goto acquire
#endif
#endif
#ifdef QUIT
    /* the thread finishes for good: a wake-up lost now has no later release to rescue it */
    :: goto quit
#endif
    fi;

/* ---- C: lp_try_get / lp__try_get_at (lp_pool.c:186-210) ---------------------------- */
try_get:
#if defined(MODE_FAIR) && !defined(BUG_TRYGET_NO_HEAD)
    atomic { ok = (head == tail); snap = livemask };   /* relaxed pair: no barging */
    if
    :: !ok -> goto done                                  /* LP_EMPTY */
    :: else
    fi;
#elif defined(BUG_TRYGET_NO_HEAD)
    atomic { snap = livemask };                          /* no look: A3 judges the scan */
#endif
    scan();
    if
    :: ok -> goto obtained
    :: else -> goto done
    fi;

sync_get:   /* C: lp_get_timeout (lp_sync.c:36-47): lp_try_get, then lp__get_async_parked */
#if defined(MODE_FAIR) && !defined(BUG_TRYGET_NO_HEAD)
    atomic { ok = (head == tail); snap = livemask };
    if
    :: ok -> scan()
    :: else
    fi;
#else
    scan();
#endif
    if
    :: ok -> goto got_slot
    :: else -> d_step { inwait[me] = 1; age[me] = 0 }   /* lp__get_async_parked: born */
    fi;

/* ---- C: lp__acquire (lp_pool.c:655-680; lp_get_async, lp__get_async_parked, a retry) --
 * tok > 0: we hold a retry token (lp_wait_poll's retry, or a RETRY collected by publish or
 * the orphan path); dropped after a successful try_get, after claim+rescan before publish
 * (a drop that serves us finds our cell CLAIMING: no waker), or before LP_EFULL. */
acquire:
#ifdef MODE_FAIR
    atomic { ok = (head == tail); snap = livemask };    /* relaxed pair */
    if
    :: ok -> scan()
    :: else
    fi;
#else
    scan();
#endif
    if
    :: ok -> d_step { snap = 0 };
#ifndef MODE_FAIR   /* FAIR holds no tokens */
        if :: tok > 0 -> token_drop() :: else fi;   /* L658-661 */
#endif
        goto got_slot
    :: else -> snap = 0
    fi;

/* ---- C: lp__claim (lp_pool.c:439-502) ------------------------------------------------ */
enq_tail:
    atomic { /* L448-456: h relaxed, t = tail seq_cst, guard */
        t = tail;
        ok = (DIST(head, t) >= LIMIT / 2 - NCELLS);
        if :: !ok -> lag[me] = 1 :: else fi
    };
    if
    :: ok -> goto efull                                  /* guard: sweep, LP_EFULL */
    :: else
    fi;
    d_step { /* L457-469: cell (acquire load), compare rounds, act; the CAS folds the load */
        w = cellw[CELL(t)];
        if
        :: RCMP(RD(w), RND(t)) == 0 && ST(w) == EMPTY ->
            cellw[CELL(t)] = CW(RND(t), CLAIMING); crec[CELL(t)] = ID(me);  /* claim; rec */
            park[CELL(t)] = P_RUNNING; cnudge[CELL(t)] = parkedrec[me]; i = 0 /* park reset; nudge */
        :: RCMP(RD(w), RND(t)) == 2 && FREEST(ST(w)) ->
            cellw[CELL(t)] = CW(RND(t), EMPTY); i = 1                        /* bring forward */
        :: RCMP(RD(w), RND(t)) == 2 && !FREEST(ST(w)) -> i = 3               /* lapped: room? */
        :: else -> i = 2                                                     /* help tail on */
        fi;
        w = 0
    };
    if
    :: i == 1 -> d_step { lag[me] = 0; i = 0 }; goto enq_tail
    :: i == 3 ->   /* L473: lp__ring_has_room: relaxed loads, one cell at a time */
        d_step { i = (FREEST(ST(cellw[0])) -> 2 : 3) };
        if
        :: i == 3 && NCELLS > 1 -> d_step { i = (FREEST(ST(cellw[NCELLS - 1])) -> 2 : 3) }
        :: else
        fi;
        if
        :: i == 3 -> d_step { lag[me] = 0; i = 0 }; goto efull                /* L474-475: sweep, LP_EFULL */
        :: else
        fi
    :: else
    fi;
    if
    :: i == 2 ->   /* L477/L480: CAS tail t -> t+1 (seq_cst): skip t, or help its claimer */
        d_step {
            if
            :: tail == t && LAG_OK -> tail = NEXT(t); LAG_BUMP
            :: tail != t
            fi;
            lag[me] = 0; i = 0
        };
        goto enq_tail
    :: else
    fi;
    d_step { /* L489: CAS tail t -> t+1 (seq_cst); fails if a helper or skipper moved it */
        if
        :: tail == t && LAG_OK -> tail = NEXT(t); LAG_BUMP;
            /* our own CAS: head was <= t until now, so no orphan check (the fix of the
             * orphan-check livelock, README.md): t is visible and unserved, a FAIR
             * newcomer must not pass it (A3); no window from here */
            livemask = livemask | (1 << CELL(t)); lag[me] = 0; i = 1
        :: tail != t
        fi
    };
    if
    :: i == 1 -> i = 0   /* LP_PENDING: claimed, not yet published */
    :: else ->
    d_step { /* L493-495: orphan check (only when tail was moved for us), seq_cst head load */
#ifndef BUG_NO_ORPHAN_CHECK
        ok = (DIST(head, t) > LIMIT / 2);
#else
        ok = 0;
#endif
        if /* ghost: visible (tail past t) and unserved: a FAIR newcomer must not pass it (A3) */
        :: !ok && DIST(head, t) < LIMIT / 2 -> livemask = livemask | (1 << CELL(t))
        :: else
        fi;
        if :: !ok -> lag[me] = 0 :: else fi   /* live in [head, tail): no window from here */
    };
    if
    :: ok ->   /* L496: orphaned: withdraw, CAS CLAIMING -> EMPTY(r+1) (acq_rel) */
        d_step {
            if
            :: cellw[CELL(t)] == CW(RND(t), CLAIMING) -> cellw[CELL(t)] = CW(NEXTR(RND(t)), EMPTY); i = 1
            :: else -> assert(ST(cellw[CELL(t)]) == GRANTED || ST(cellw[CELL(t)]) == READY); i = 2  /* A5 */
            fi;
            lag[me] = 0; ok = 0
        };
        if
        :: i == 1 -> i = 0; goto enq_tail
        :: else -> i = 0;   /* L497-500: a server took it after all: collect, LP_OK */
            collect();
            /* lp__acquire L665-666: drop the token we came with (a new RETRY is another) */
#ifndef MODE_FAIR
            if :: tok > (got == RETRY -> 1 : 0) -> token_drop() :: else fi;
#endif
            if
            :: got == RETRY -> got = 0; goto acquire        /* "retry", holding its token (L672-675) */
            :: else -> d_step { s = got; got = 0 }; goto got_slot
            fi
        fi
    :: else
    fi
    fi;

/* ---- C: lp__rescan (lp_pool.c:509-539), our cell still CLAIMING ----------------------- */
#ifndef BUG_NO_RESCAN
    i = 0;
    do
    :: i < NSLOTS ->
        d_step { /* L516: seq_cst load + CAS FREE->HELD (acquire) */
            if
            :: sstate[i] == S_FREE -> sstate[i] = S_HELD; s = i; ok = 1
            :: else -> ok = 0
            fi
        };
        if
        :: ok ->
#ifdef MODE_FAIR
            /* L517-521: serve it to the oldest waiter (maybe us: our cell becomes READY) */
            d_step { give = s; s = NOSLOT; ok = 0 };
            serve();
            d_step { ok = (cellw[CELL(t)] != CW(RND(t), CLAIMING)); res = 0 };  /* relaxed look */
            if
            :: ok -> d_step { ok = 0; i = 0 }; break                          /* LP_PENDING */
            :: else
            fi
#else
            d_step { /* L524-525: CAS CLAIMING->CANCELLED (seq_cst): keep slot s, withdraw */
                if
                :: cellw[CELL(t)] == CW(RND(t), CLAIMING) ->
                    cellw[CELL(t)] = CW(RND(t), CANCELLED); ok = 1; livemask = livemask & ~(1 << CELL(t))
                :: else -> ok = 0
                fi
            };
            if
            :: ok -> ok = 0; sweep()
            :: else ->   /* L527-533: served first (a retry): collect, pass it on */
                collect();
                if
                :: got == RETRY -> token_drop()       /* lp__pass_on: drop the token (8926230) */
                :: else -> d_step { rs = got }; release()
                fi;
                got = 0
            fi;
            i = 0;
            if :: tok > 0 -> token_drop() :: else fi;  /* lp__acquire L665 */
            goto got_slot
#endif
        :: else
        fi;
        i++
    :: else -> i = 0; break
    od;
#endif

#ifndef MODE_FAIR
    if :: tok > 0 -> token_drop() :: else fi;   /* lp__acquire L665: before publishing */
#endif

/* ---- C: lp__publish (lp_pool.c:543-552) ---------------------------------------------- */
    atomic { /* L548: CAS CLAIMING->WAITING (acq_rel) */
        if
        :: cellw[CELL(t)] == CW(RND(t), CLAIMING) -> cellw[CELL(t)] = CW(RND(t), WAITING); ok = 1; CALLEDQ_CLR
        :: else -> assert(ST(cellw[CELL(t)]) == GRANTED || ST(cellw[CELL(t)]) == READY); ok = 0  /* A5 */
        fi
    };
    if
    :: !ok ->   /* L549-551: served while CLAIMING (maybe by our own rescan): collect, LP_OK */
        collect();
        if
        :: got == RETRY -> got = 0; goto acquire        /* "retry", holding its token (L672-675) */
        :: else -> d_step { s = got; got = 0 }; goto got_slot
        fi
    :: else -> ok = 0;
#ifdef MODE_RESTRICTED
        d_step { if :: me == 0 && !async && !pub0 -> pub0 = 1; byp = 0 :: else fi };  /* A7 starts */
        /* lp__acquire: a release that found our cell CLAIMING woke nobody: look */
        any_slot_free(); if :: ok -> restricted_wake() :: else fi;
#ifndef NO_ASYNC   /* only an async wait sees its own head (i = 5); without them, less pan.c to compile */
        if :: ok -> ok = 0; goto take_own :: else fi   /* LP__OWN_HEAD: lp__take_own */
#endif
#endif
    fi;
    /* LP_PENDING */
    if
    :: async -> goto async_wait
    :: !async && requeued -> goto sync_sleep   /* lp_wait_poll re-queued us: no new xchg */
    :: else
    fi;

/* ---- C: lp_get_timeout's loop (lp_sync.c:49-71) ------------------------------------- */
sync_loop:
    atomic { pc = CELL(t); park[pc] = P_RUNNING };  /* word = park word; xchg RUNNING (acq_rel) */
    /* lp_wait_poll(NULL) */
    d_step { w = cellw[CELL(t)] };          /* acquire load */
    if
#ifdef BUG_POLL_GRANTED
    :: ST(w) != READY -> w = 0
#else
    :: ST(w) != READY && ST(w) != GRANTED -> w = 0
#endif
    :: else ->
        w = 0; collect();
        if
        :: got == RETRY -> d_step { got = 0; requeued = 1 }; requeues(); goto acquire  /* poll re-queues */
        :: else -> d_step { s = got; got = 0 }; goto got_slot
        fi
    fi;
#ifdef MODE_RESTRICTED
    /* C: lp__take_instead: a wake that brought no slot was a nudge: take a free slot and
     * withdraw (as lp_wait_cancel with a slot pointer) */
    scan();
    if
    :: ok ->
        atomic { /* CAS WAITING->CANCELLED (seq_cst) */
            if
            :: cellw[CELL(t)] == CW(RND(t), WAITING) ->
                cellw[CELL(t)] = CW(RND(t), CANCELLED); ok = 1; livemask = livemask & ~(1 << CELL(t));
                if :: me == 0 -> pub0 = 0 :: else fi   /* A7: it took a slot: served */
            :: else -> ok = 0
            fi
        };
        if
        :: ok -> d_step { t = 0; rec_live[me] = 0; ok = 0 }; goto withdrawn
        :: else
        fi;
        collect();   /* served between the scan and the withdrawal */
        d_step { t = 0; rec_live[me] = 0 };
        if :: got != RETRY -> d_step { rs = s; s = got } :: else fi;   /* keep the hand-off */
        goto pass_on
    :: else
    fi;
#endif
sync_sleep:
    /* PENDING: re-fetch the park word of our (maybe new) cell; CAS RUNNING->SLEEPING */
    atomic {
        requeued = 0;
#ifndef BUG_NO_REFETCH
        pc = CELL(t);
#endif
        if
        :: park[pc] == P_RUNNING -> park[pc] = P_SLEEPING; asleep[me] = 1; ok = 1
        :: else -> ok = 0
        fi
    };
    if
    :: !ok -> goto sync_loop   /* a wake slipped in: poll again */
    :: else -> ok = 0
    fi;
    if
    :: d_step { park[pc] != P_SLEEPING -> asleep[me] = 0 }; goto sync_loop  /* FUTEX_WAIT returns */
    :: d_step { !patient[me] -> asleep[me] = 0 }; goto cancel               /* deadline */
    fi;

#if defined(MODE_RESTRICTED) && !defined(NO_ASYNC)
/* ---- C: lp__take_own. RESTRICTED, the post-publish look found our own async wait the oldest
 * live one and a slot free (LP__OWN_HEAD): take it and withdraw (lp__withdraw, as lp_wait_cancel):
 * LP_OK, and no waker was called (A8). Lost the withdrawal to a serve (its server called our
 * waker): LP_PENDING, and the poll must return a slot. The deposit is read without recycling
 * the cell (lp__await_ready); a slot deposited stays there and ours is released; over a
 * "retry" we write our slot (we own the READY cell until the poll collects) and drop its token.
 * Then the task waits for its waker, which was called, and the poll collects a slot. */
take_own:
    scan();
    if
    :: ok ->
        atomic { /* CAS WAITING->CANCELLED (seq_cst) */
            if
            :: cellw[CELL(t)] == CW(RND(t), WAITING) ->
                cellw[CELL(t)] = CW(RND(t), CANCELLED); ok = 1; livemask = livemask & ~(1 << CELL(t));
                assert(!calledq[me])   /* A8: LP_OK, and the waker of this queueing never called */
            :: else -> ok = 0
            fi
        };
        if
        :: ok -> d_step { t = 0; rec_live[me] = 0; ok = 0 }; goto withdrawn
        :: else
        fi;
#if defined(BUG_TAKE_OWN_PUTS_BACK)
        /* seeded: put the slot back and stay pending (the poll collects the deposit): fails `served` */
        d_step { rs = s; s = NOSLOT; got = 0 }; goto pass_on
#elif defined(BUG_TAKE_OWN_LP_OK)
        /* seeded: collect, keep a slot and return LP_OK here, after the waker was called (A8) */
        collect();
        d_step { assert(!calledq[me]) }
#else
        d_step { cellw[CELL(t)] == CW(RND(t), READY) ->   /* lp__await_ready (acquire), no recycle */
                 assert(calledq[me]);                      /* A8: the server called our waker */
                 got = cslot[CELL(t)];
                 if :: got == RETRY -> tok++; cslot[CELL(t)] = s :: else -> rs = s fi;  /* a "retry": we hold its token */
                 s = NOSLOT }
        goto pass_on   /* a retry's token dropped, or our slot released; then to async_wait */
#endif
    :: else   /* the slot went first (a releaser re-took it to hand it to us, or a barger) */
    fi;
#endif
/* ---- an async task waiting for its waker ---------------------------------------------- */
async_wait:
    asleep[me] = 1;
    if
    :: d_step { called[me] == wkr[me] -> asleep[me] = 0; called[me] = 0 }; goto poll
    :: d_step { !upd -> asleep[me] = 0; upd = 1 }; goto poll_update   /* poll(new waker) */
    :: d_step { !patient[me] -> asleep[me] = 0 }; goto cancel         /* drop the future */
    fi;

/* ---- C: lp_wait_poll (lp_pool.c:618-649) ---------------------------------------------- */
poll_update:
    atomic { /* acquire load, CAS WAITING->UPDATING (acquire) */
        if
        :: cellw[CELL(t)] == CW(RND(t), WAITING) -> cellw[CELL(t)] = CW(RND(t), UPDATING); ok = 1
        :: else -> ok = 0; w = cellw[CELL(t)]
        fi
    };
    if
    :: ok ->
        d_step { /* new waker written; CAS UPDATING->WAITING (acq_rel) */
            wkr[me] = 3 - wkr[me];
            if
            :: cellw[CELL(t)] == CW(RND(t), UPDATING) -> cellw[CELL(t)] = CW(RND(t), WAITING); ok = 1
            :: else -> ok = 0; w = cellw[CELL(t)]; assert(ST(w) == GRANTED || ST(w) == READY)  /* A5 */
            fi
        };
        if
        :: ok -> ok = 0; goto async_wait                  /* LP_PENDING */
        :: else -> goto poll_state
        fi
    :: else -> goto poll_state
    fi;
poll:
    atomic { w = cellw[CELL(t)] };                         /* acquire load */
poll_state:
    if
#ifdef BUG_POLL_GRANTED
    :: ST(w) != READY -> w = 0; goto async_wait
#else
    :: ST(w) != READY && ST(w) != GRANTED -> w = 0; goto async_wait   /* LP_PENDING */
#endif
    :: else -> w = 0
    fi;
    collect();
    if
    :: got == RETRY -> got = 0; requeues(); goto acquire   /* retry: lp__acquire again */
    :: else -> d_step { s = got; got = 0 }; goto got_slot
    fi;

/* ---- C: lp_wait_cancel (lp_pool.c:651-676) -------------------------------------------- */
cancel:
    atomic { /* CAS WAITING->CANCELLED (seq_cst) */
        if
        :: cellw[CELL(t)] == CW(RND(t), WAITING) ->
            cellw[CELL(t)] = CW(RND(t), CANCELLED); ok = 1; livemask = livemask & ~(1 << CELL(t));
            if :: me == 0 -> pub0 = 0 :: else fi   /* A7: withdrawn */
        :: else -> ok = 0
        fi
    };
    if
    :: ok -> d_step { t = 0; rec_live[me] = 0; ok = 0 }; sweep();
#ifdef MODE_RESTRICTED
        look_after_move();
#endif
        goto done
    :: else
    fi;
    collect();   /* served first: nothing may be lost */
    d_step { t = 0; rec_live[me] = 0 };
    if
    :: got == RETRY -> got = 0; token_drop(); goto done   /* lp__pass_on: drop the token */
    :: else
    fi;
#ifdef BUG_CANCEL_DROPS
    got = 0; goto done;
#endif
    if
    :: async -> d_step { rs = got; got = 0 }; release(); goto done     /* slot == NULL: put */
    :: d_step { s = got; got = 0 }; goto obtained                      /* slot given: LP_OK */
    fi;

#ifdef MODE_RESTRICTED
/* Shared tails (spin limits the size of a proctype's code: one expansion each). */
withdrawn:   /* a take-instead or own-head take won its withdrawal: LP_OK with slot s */
    sweep(); look_after_move(); goto got_slot;
pass_on:     /* lp__pass_on of what a server gave (a retry's token), or lp__release of rs */
    if
    :: got == RETRY -> got = 0; token_drop()
    :: else -> got = 0; release()
    fi;
    if :: async -> goto async_wait :: else -> goto got_slot fi;   /* own-head take: still pending */
#endif

efull:   /* LP_EFULL (lp__claim L453-455, L473-475): sweep first (bb01bed, model defect C1) */
#ifndef BUG_NO_EFULL_SWEEP
    atomic { lag[me] = 0 };
    sweep();
#endif
#ifndef MODE_FAIR
    if :: tok > 0 -> token_drop() :: else fi;   /* lp__acquire L665: before LP_EFULL */
#endif
    goto done;

got_slot:
    atomic { assert(tok == 0); t = 0; rec_live[me] = 0; patient[me] = 0; wait_ends() };   /* A6: no token kept */

/* ---- the caller holds slot s, uses it, puts it back ------------------------------------ */
obtained:
    atomic {
        assert(s < NSLOTS && sstate[s] == S_HELD && owner[s] == 0);   /* A1 */
        owner[s] = ID(me); snap = 0; upd = 0;
#ifdef MODE_RESTRICTED
        /* A7: a blocking wait of process 0, once published, is overtaken by at most
         * NPROC * BOUND grants (one rotation per BOUND ticks; at most NPROC - 1 waits ahead)
         * + NSLOTS (slots freed by releases whose look raced its enqueue) + NPROC - 1 (waits
         * that claimed before it, published after) */
        if :: me != 0 && pub0 -> byp++; assert(byp <= BYPASS_MAX) :: else fi
#endif
    };
    d_step { owner[s] = 0; rs = s; s = NOSLOT };
    release();

done:
    atomic {
        wait_ends();
        busy--; rec_live[me] = 0; patient[me] = 0; parkedrec[me] = 0; async = 0; wkr[me] = 0; called[me] = 0; CALLEDQ_CLR;
        assert(busy > 0 || (QUIESCENT_OK && starving == 0));            /* A2 */
        assert(tok == 0);                                               /* A6 */
        s = NOSLOT; t = 0; i = 0; snap = 0; ok = 0; upd = 0; res = 0; got = 0; pc = 0; requeued = 0
    };
    goto idle;
quit:
    skip
}

init {
    atomic {
        byte p = 0;
        do
        :: p < NPROC -> run worker(p); p++
        :: else -> break
        od
    }
}

ltl served { [] (patient[0] -> <> !patient[0]) }
ltl wakeup { [] (asleep[0] -> <> !asleep[0]) }
ltl sweepends { [] (sweeping[0] -> <> !sweeping[0]) }
