/*
 * lp_pool.pml — a Promela model of LockPool's slot/waiter protocol, checked with spin.
 * It mirrors pool/src/lp_pool.c (function and line numbers in the "C:" notes are those
 * of lp_pool.c at the "pool core" commit cc0ff12; re-check them when the C changes).
 *
 * Modelled: NSLOTS per-slot try-locks; the ring of NCELLS mailboxes addressed by ticket
 * (head/tail modulo LIMIT = NCELLS*ROUNDS, so runs wrap the tickets), with the cell states
 * EMPTY, CLAIMING, WAITING, UPDATING, GRANTED, READY, CANCELLED; claim-then-tail enqueue,
 * tail helping, skipping a lapped ticket, bringing an old cell forward, the orphan check;
 * FAIR hand-off, BARGING "retry" wakes, BOUNDED (hand-off or barging, chosen
 * nondeterministically: lp__head_starving is a racy clock heuristic); lp_try_get,
 * lp_get_async, lp_wait_poll (with and without a new waker), lp_wait_cancel (timeout /
 * drop; with and without taking a granted slot), lp_put (= lp_put_discard for the
 * protocol), the sweep, the EFULL exits. The sync layer's parker is abstracted: the waker
 * stores the thread's futex word and the thread sleeps until the word names its current
 * waker (FUTEX_WAIT compares and sleeps atomically, which a Promela guard is).
 * Not modelled: `created` (holder-only), `since` (only feeds the BOUNDED heuristic, which
 * is a nondeterministic choice here), memory order (every step is sequentially
 * consistent; the C's orders are reviewed by hand, README.md), the slot-scan hint
 * (each process starts its scan at its own index, like distinct stack hints).
 *
 * Atomicity. One Promela step per C atomic access, except: (a) a load whose value only
 * feeds the CAS that follows, with a retry on failure, is folded into that CAS (a failed
 * CAS has no effect, so the loop is equivalent to its successful CAS); (b) two loads of
 * head then tail are one snapshot (head only moves towards tail, so "h == tail" at the
 * second load means empty at that instant); (c) lp__serve's "h != tail, CAS head h->h+1"
 * is one step (a CAS of a stale h fails and retries). (a)-(c) hold unless a counter wraps
 * the whole ticket space while one thread is preempted: the ABA that DESIGN.md lists as
 * a known, undefended limit. Plain stores nobody reads before a later release (cell.slot
 * before READY) are folded into that release.
 *
 * Properties (README.md says what each covers):
 *   A1 mutual exclusion: an obtained slot is HELD and has no other owner;
 *   A2 no leak: when no caller is busy, every slot is FREE, head == tail, no cell is live;
 *   A3 FAIR never barges: a scan never takes a slot while a waiter that was published
 *      before the scan's "head != tail" look is still waiting;
 *   A4 a caller's record is dereferenced only while its wait is live (no use after
 *      return/cancel: defect 5);
 *   A5 cell-state sanity: the states the C's comments call impossible do not occur;
 *   no invalid end state: no deadlock (every blocked caller is eventually released);
 *   LTL served (FAIR): a patient waiter of process 0 is eventually served;
 *   LTL wakeup (all modes): a parked process 0 is eventually woken or leaves.
 *   Processes are symmetric, so the LTL formulas name process 0 only.
 *
 * Seeded bugs (-D; the seeded-bug test requires spin to report each):
 *   BUG_NO_RESCAN        lp_get_async skips lp__rescan after publishing (defect 1)
 *   BUG_NO_PUT_RECHECK   lp__release skips the seq_cst queue re-check after the unlock
 *   BUG_NO_ORPHAN_CHECK  lp__enqueue publishes without checking that head passed t
 *   BUG_WAKE_AFTER_READY lp__deliver calls the waker after storing READY (defect 5)
 *   BUG_TRYGET_NO_HEAD   FAIR lp_try_get_from skips its head != tail test (defect 4)
 *   BUG_CANCEL_DROPS     lp_wait_cancel of a granted wait forgets the slot (leak)
 *   BUG_POLL_GRANTED     lp_wait_poll returns PENDING on GRANTED (lost wakeup)
 */

#ifndef NSLOTS
#define NSLOTS 2
#endif
#ifndef NCELLS
#define NCELLS 2
#endif
#ifndef NPROC
#define NPROC 3
#endif
#ifndef ROUNDS
#define ROUNDS 4  /* the C's minimum (lp__test_set_rounds); 8 lets tickets lap (ROUNDS=8) */
#endif
#define LIMIT (NCELLS * ROUNDS)

#if !defined(MODE_FAIR) && !defined(MODE_BARGING) && !defined(MODE_BOUNDED)
#define MODE_FAIR
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
#define DIST(from, to) ((to) >= (from) -> (to) - (from) : (to) + LIMIT - (from))  /* C: lp__dist */
/* C: lp__round_cmp: 0 equal, 1 a newer, 2 a older */
#define RDIFF(a, b) ((a) >= (b) -> (a) - (b) : (a) + ROUNDS - (b))
#define RCMP(a, b)  (RDIFF(a, b) == 0 -> 0 : (RDIFF(a, b) < ROUNDS / 2 -> 1 : 2))

#define RETRY  254       /* C: LP__NO_SLOT deposited: "retry" */
#define NOSLOT 255
#define ID(p)  ((p) + 1) /* record / owner ids: 0 = none */

/* lp__deliver / lp__serve results */
#define DELIVERED 0
#define SELF      1
#define SKIPPED   2

/* ---- pool memory ---------------------------------------------------------------- */
bit  sstate[NSLOTS];    /* C: lp__slot.state */
byte head;              /* C: lp__pool.head */
byte tail;              /* C: lp__pool.tail */
byte cellw[NCELLS];     /* C: lp__cell.word */
byte cslot[NCELLS];     /* C: lp__cell.slot */
byte crec[NCELLS];      /* C: lp__cell.rec */
/* ---- caller memory -------------------------------------------------------------- */
byte wkr[NPROC];        /* C: lp_wait.lp__waker_ (each caller alternates waker ids 1, 2) */
byte futex[NPROC];      /* lp_sync.c parker word: the id of the waker last called */
/* ---- ghost state (not in the C) ------------------------------------------------- */
byte owner[NSLOTS];     /* ID of the caller holding the slot, 0 = none */
byte busy;              /* callers inside an operation or holding a slot */
byte livemask;          /* bit c: cell c holds a published wait nobody has served/cancelled */
bit  patient[NPROC];    /* this wait never cancels: it must be served (LTL served) */
bit  parked[NPROC];     /* asleep on the futex word (LTL wakeup) */
bit  rec_live[NPROC];   /* the caller's lp_wait may be dereferenced by the pool */
/* The ABA assumption made explicit: while a caller compares a ticket it read earlier
 * (lp__enqueue from L387 to its publish; lp__sweep from L270 to its CAS), head and tail
 * together advance at most MAXLAG times. lag[p] = 1 + advances seen, 0 outside a window. */
#ifndef MAXLAG
#define MAXLAG (LIMIT / 2 - NCELLS)
#endif
byte lag[NPROC];
#define LAG_Q_OK(q) ((q) >= NPROC || (q) == me || lag[q] <= MAXLAG)
/* a step that ends our own window may always run (overshoot <= NPROC-1 < the ABA distance) */
#define LAG_OK (lag[me] > 0 || (LAG_Q_OK(0) && LAG_Q_OK(1) && LAG_Q_OK(2)))
#define LAG_Q_BUMP(q) if :: (q) < NPROC && (q) != me && lag[q] > 0 -> lag[q]++ :: else fi
#define LAG_BUMP LAG_Q_BUMP(0); LAG_Q_BUMP(1); LAG_Q_BUMP(2)

#define SLOTS_FREE (sstate[0] == S_FREE && sstate[NSLOTS - 1] == S_FREE)
#define CELLS_IDLE (ST(cellw[0]) == EMPTY && ST(cellw[NCELLS - 1]) == EMPTY)
#define QUIESCENT_OK (SLOTS_FREE && head == tail && CELLS_IDLE && livemask == 0)

/* C: lp__sweep (L268-285) */
inline sweep() {
    do
    :: d_step { /* L270-278: head, tail, then the cell (seq_cst loads); dead? */
           if
           :: head == tail -> ok = 0
           :: else ->
               h = head; w = cellw[CELL(h)];
               ok = (RD(w) != RND(h) || ST(w) == EMPTY || ST(w) == CANCELLED);
               if :: ok -> lag[me] = 1 :: else fi
           fi
       };
       if
       :: !ok -> break
       :: else ->
           d_step { /* L279: CAS head h->h+1 (seq_cst) */
               LAG_OK;
               lag[me] = 0;
               if
               :: head == h -> head = NEXT(h); ok = 1; LAG_BUMP
               :: else -> ok = 0
               fi
           };
           if
           :: ok && RD(w) == RND(h) ->
               d_step { /* L282: CAS cell w -> EMPTY(r+1) (seq_cst); may fail */
                   if
                   :: cellw[CELL(h)] == w -> cellw[CELL(h)] = CW(NEXTR(RND(h)), EMPTY)
                   :: else
                   fi
               }
           :: else
           fi
       fi
    od;
    atomic { h = 0; w = 0; ok = 0 }
}

/* C: lp__deliver (L196-235): ticket h, `give` (a slot or RETRY), self = our rescan */
inline deliver() {
    d_step { /* L201 seq_cst load, L203-216 round test and CAS by state */
        c2 = CELL(h); r2 = RND(h); w = cellw[c2];
        if
        :: RD(w) != r2 -> res = SKIPPED                                    /* L203 */
        :: RD(w) == r2 && (ST(w) == EMPTY || ST(w) == CANCELLED) ->
            cellw[c2] = CW(NEXTR(r2), EMPTY); res = SKIPPED                /* L206-209 kill / recycle */
        :: RD(w) == r2 && (ST(w) == CLAIMING || ST(w) == WAITING || ST(w) == UPDATING) ->
            cellw[c2] = CW(r2, GRANTED); cslot[c2] = give; res = DELIVERED;  /* L216-217 */
            livemask = livemask & ~(1 << c2)
        :: else -> assert(false) /* A5: L231 "GRANTED/READY of round r: never" */
        fi
    };
    if
    :: res == DELIVERED && ST(w) == WAITING ->
        if
        :: self && crec[c2] == ID(me) -> res = SELF                        /* L221-222 */
        :: else ->
#ifdef BUG_WAKE_AFTER_READY
            d_step { cellw[c2] = CW(r2, READY) };
#endif
            d_step { /* L220-225: read rec->waker and call it (parker: store the word, FUTEX_WAKE) */
                assert(crec[c2] > 0 && rec_live[crec[c2] - 1]);   /* A4 */
                futex[crec[c2] - 1] = wkr[crec[c2] - 1]
            }
        fi
    :: else
    fi;
#ifdef BUG_WAKE_AFTER_READY
    if
    :: res == DELIVERED && ST(w) == WAITING -> skip
    :: else ->
#endif
    if
    :: res != SKIPPED -> d_step { cellw[c2] = CW(r2, READY) }   /* L229 store READY (release) */
    :: else
    fi
#ifdef BUG_WAKE_AFTER_READY
    fi
#endif
    ;
    d_step { c2 = 0; r2 = 0; w = 0 }
}

/* C: lp__serve (L240-263): give `give` to the oldest waiter; res = DELIVERED or SELF */
inline serve() {
    do
    :: d_step { /* L243-244 head/tail seq_cst loads + L256 CAS head h->h+1 (see (c)) */
           LAG_OK;
           if
           :: head == tail -> ok = 0
           :: else -> h = head; head = NEXT(head); ok = 1; LAG_BUMP;
               /* ghost: a wait whose ticket head passed is being served (or cancels) */
               if
               :: RD(cellw[CELL(h)]) == RND(h) -> livemask = livemask & ~(1 << CELL(h))
               :: else
               fi
           fi
       };
       if
       :: !ok && give == RETRY -> res = DELIVERED; break                        /* L245 */
       :: !ok && give != RETRY ->
           d_step { sstate[give] = S_FREE };                                    /* L248 xchg FREE (seq_cst) */
           if
           :: head == tail -> res = DELIVERED; break                            /* L249 */
           :: else
           fi;
           d_step { /* L252 CAS FREE->HELD (acquire) */
               if
               :: sstate[give] == S_FREE -> sstate[give] = S_HELD; ok = 1
               :: else -> ok = 0
               fi
           };
           if
           :: !ok -> res = DELIVERED; break
           :: else
           fi
       :: ok ->
           deliver();                                                            /* L257 */
           if
           :: res != SKIPPED -> sweep(); break                                   /* L258-260 */
           :: else
           fi
       fi
    od;
    atomic { h = 0; ok = 0; give = NOSLOT }
}

/* C: lp__release (L297-325) of slot rs */
inline release() {
    d_step { ok = (head != tail) };                       /* L304 relaxed head/tail */
#if defined(MODE_BOUNDED)
    if
    :: ok -> skip        /* L305 lp__head_starving: the head waiter is past the bound */
    :: ok -> ok = 0      /* ... or not yet (a racy clock heuristic: either may happen) */
    :: else
    fi;
#elif defined(MODE_BARGING)
    ok = 0;
#endif
    if
    :: ok -> give = rs; serve()                           /* L307 direct hand-off */
    :: else ->
        d_step { sstate[rs] = S_FREE };                   /* L312 xchg FREE (seq_cst) */
#ifndef BUG_NO_PUT_RECHECK
        if
        :: head != tail ->                                /* L313 seq_cst re-check */
#ifdef MODE_FAIR
            d_step { /* L319 CAS FREE->HELD (acquire), then serve */
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
            give = RETRY; serve()                         /* L321 wake the oldest to retry */
#endif
        :: else
        fi
#endif
    fi;
    d_step { rs = NOSLOT; ok = 0; res = 0 }
}

/* C: lp__scan (L148-163) from this caller's start index */
inline scan() {
    i = 0;
    do
    :: i < NSLOTS ->
        d_step { /* L154-156 relaxed peek + CAS FREE->HELD (acquire) */
            s = (me + i) % NSLOTS;
            if
            :: sstate[s] == S_FREE -> sstate[s] = S_HELD; ok = 1
            :: else -> ok = 0; s = NOSLOT
            fi
        };
        if
        :: ok -> break
        :: else -> i++
        fi
    :: else -> ok = 0; break
    od;
    i = 0
}

proctype worker(byte me)
{
    byte s = NOSLOT;    /* slot in hand */
    byte rs = NOSLOT;   /* slot being released */
    byte give = NOSLOT; /* what serve() hands out */
    byte given;         /* what our mailbox held */
    byte t, c, r;       /* our ticket, its cell and round */
    byte h, c2, r2, w;  /* a ticket being served or swept, its cell, round, cell word */
    byte i, res, act, snap;
    bit ok, self, updated;

idle:
    if
    :: d_step { busy++ }; goto try_get
    :: d_step { busy++; rec_live[me] = 1; futex[me] = 0; wkr[me] = 1; patient[me] = 1 }; goto acquire
    :: d_step { busy++; rec_live[me] = 1; futex[me] = 0; wkr[me] = 1; patient[me] = 0 }; goto acquire
    fi;

/* ---- C: lp_try_get_from (L165-172) --------------------------------------------- */
try_get:
#if defined(MODE_FAIR) && !defined(BUG_TRYGET_NO_HEAD)
    atomic { ok = (head == tail); snap = livemask };   /* L170 relaxed: FAIR never barges */
    if
    :: !ok -> goto done                                 /* LP_EMPTY */
    :: else
    fi;
#else
    atomic { snap = livemask };
#endif
    scan();
    if
    :: ok ->
#ifdef MODE_FAIR
        assert((snap & livemask) == 0);                 /* A3 */
#endif
        goto obtained
    :: else -> goto done                                /* LP_EMPTY */
    fi;

/* ---- C: lp__acquire (L478-495), from lp_get_async and a BARGING poll --------------- */
acquire:
#ifdef MODE_FAIR
    atomic { ok = (head == tail); snap = livemask };   /* L481 relaxed */
    if
    :: ok -> scan()
    :: else
    fi;
#else
    scan();
#endif
    if
    :: ok ->
#ifdef MODE_FAIR
        assert((snap & livemask) == 0);                 /* A3 */
#endif
        d_step { rec_live[me] = 0; patient[me] = 0 }; goto obtained    /* L483 LP_OK */
    :: else
    fi;

/* ---- C: lp__enqueue (L380-436) ---------------------------------------------------- */
enq_tail:
    atomic { /* L387 t = tail (seq_cst), L390 guard on head (relaxed) */
        t = tail;
        ok = (DIST(head, t) >= LIMIT / 2 - NCELLS);
        if :: !ok -> lag[me] = 1 :: else fi
    };
    if
    :: ok -> goto done                                  /* L390 LP_EFULL */
    :: else
    fi;
    d_step { /* L391-412: cell (acquire load), compare rounds, act (the CAS folds the load) */
        c = CELL(t); r = RND(t); w = cellw[c];
        if
        :: RCMP(RD(w), r) == 0 && ST(w) == EMPTY ->
            cellw[c] = CW(r, CLAIMING); crec[c] = ID(me); act = 0           /* L399 claim; L415 rec */
        :: RCMP(RD(w), r) == 2 && (ST(w) == EMPTY || ST(w) == CANCELLED) ->
            cellw[c] = CW(r, EMPTY); act = 1                                /* L403 bring forward */
        :: RCMP(RD(w), r) == 2 && ST(w) != EMPTY && ST(w) != CANCELLED ->
            /* L405-408: an older live waiter holds the cell: skip t if any cell has room */
            act = ((ST(cellw[0]) == EMPTY || ST(cellw[0]) == CANCELLED ||
                    ST(cellw[NCELLS - 1]) == EMPTY || ST(cellw[NCELLS - 1]) == CANCELLED) -> 2 : 3)
        :: else -> act = 2                                                   /* L411 help tail on */
        fi;
        w = 0
    };
    if
    :: act == 1 -> lag[me] = 0; goto enq_tail
    :: act == 2 ->
        d_step { LAG_OK; lag[me] = 0; if :: tail == t -> tail = NEXT(t); LAG_BUMP :: else fi };  /* L408 / L411 CAS tail */
        goto enq_tail
    :: act == 3 -> lag[me] = 0; goto done                                    /* L407 LP_EFULL */
    :: act == 0
    fi;
    d_step { LAG_OK; if :: tail == t -> tail = NEXT(t); LAG_BUMP :: else fi };  /* L419 CAS tail (seq_cst) */
#ifndef BUG_NO_ORPHAN_CHECK
    atomic { ok = (DIST(head, t) > LIMIT / 2) };                            /* L423-425 orphan check */
#else
    ok = 0;
#endif
    d_step {
        if
        :: ok && cellw[c] == CW(r, CLAIMING) -> cellw[c] = CW(NEXTR(r), EMPTY); act = 1  /* L426 withdraw */
        :: !ok && cellw[c] == CW(r, CLAIMING) ->
            cellw[c] = CW(r, WAITING); act = 0;                                           /* L427 publish */
            if /* ghost: waiting unless its server already claimed head past t */
            :: DIST(head, t) <= LIMIT / 2 -> livemask = livemask | (1 << c)
            :: else
            fi
        :: else -> assert(ST(cellw[c]) == GRANTED || ST(cellw[c]) == READY); act = 2    /* A5 */
        fi;
        lag[me] = 0
    };
    if
    :: act == 1 -> goto enq_tail                                             /* L426 continue */
    :: act == 2 ->
        cellw[c] == CW(r, READY);                                            /* L432 lp__await_ready */
        d_step { given = cslot[c]; cellw[c] = CW(NEXTR(r), EMPTY); t = 0; c = 0; r = 0 };  /* L432-433 */
        if
        :: given == RETRY -> given = 0; goto acquire                        /* L488 served "retry" */
        :: else -> d_step { s = given; given = 0; rec_live[me] = 0; patient[me] = 0 }; goto obtained
        fi
    :: act == 0
    fi;

/* ---- C: lp__rescan (L440-475) ----------------------------------------------------- */
#ifndef BUG_NO_RESCAN
    i = 0;
    do
    :: i < NSLOTS ->
        d_step { /* L447 seq_cst load + CAS FREE->HELD */
            s = i;
            if
            :: sstate[i] == S_FREE -> sstate[i] = S_HELD; ok = 1
            :: else -> ok = 0; s = NOSLOT
            fi
        };
        if
        :: ok ->
#ifdef MODE_FAIR
            d_step { give = s; self = 1 };
            serve();                                                          /* L449 */
            self = 0;
            if
            :: res == SELF ->                                                 /* L451-454 */
                d_step { cellw[c] = CW(NEXTR(r), EMPTY); t = 0; c = 0; r = 0; i = 0; rec_live[me] = 0; patient[me] = 0 };
                goto obtained
            :: else -> s = NOSLOT
            fi
#else
            d_step { /* L460 CAS WAITING->CANCELLED (seq_cst): withdraw, keep slot i */
                if
                :: cellw[c] == CW(r, WAITING) -> cellw[c] = CW(r, CANCELLED); ok = 1; livemask = livemask & ~(1 << c)
                :: else -> ok = 0
                fi
            };
            if
            :: ok -> sweep()                                                  /* L461 */
            :: else ->
                cellw[c] == CW(r, READY);                                     /* L465 */
                d_step { given = cslot[c]; cellw[c] = CW(NEXTR(r), EMPTY) };  /* L465-466 */
                if
                :: given == RETRY -> give = RETRY; serve()                    /* L467 pass the wake on */
                :: else -> rs = given; release()                              /* L468 */
                fi;
                given = 0
            fi;
            d_step { t = 0; c = 0; r = 0; i = 0; rec_live[me] = 0; patient[me] = 0 };
            goto obtained                                                     /* L470-472 */
#endif
        :: else
        fi;
        i++
    :: else -> i = 0; break
    od;
#endif
    /* L474 LP_PENDING */

/* ---- the caller waits: lp_sync.c's parker, or an async task ------------------------- */
wait:
    parked[me] = 1;
    if
    :: futex[me] == wkr[me] -> d_step { parked[me] = 0; futex[me] = 0 }; goto poll  /* woken */
    :: !updated -> d_step { parked[me] = 0; updated = 1 }; goto poll_update         /* poll(new_waker) */
    :: !patient[me] -> parked[me] = 0; goto cancel                                   /* timeout / drop */
    fi;

/* ---- C: lp_wait_poll (L516-547) ----------------------------------------------------- */
poll_update:
    atomic { /* L523-526 acquire load, CAS WAITING->UPDATING */
        if
        :: cellw[c] == CW(r, WAITING) -> cellw[c] = CW(r, UPDATING); ok = 1
        :: else -> ok = 0; w = cellw[c]
        fi
    };
    if
    :: ok ->
        d_step { wkr[me] = 3 - wkr[me] };                                    /* L527 new waker */
        d_step { /* L530 CAS UPDATING->WAITING (acq_rel) */
            if
            :: cellw[c] == CW(r, UPDATING) -> cellw[c] = CW(r, WAITING); ok = 1
            :: else -> ok = 0; w = cellw[c]; assert(ST(w) == GRANTED || ST(w) == READY)  /* A5 */
            fi
        };
        if
        :: ok -> goto wait                                                   /* LP_PENDING */
        :: else -> goto poll_state
        fi
    :: else -> goto poll_state
    fi;
poll:
    atomic { w = cellw[c] };                                                 /* L523 acquire */
poll_state:
#ifdef BUG_POLL_GRANTED
    if
    :: ST(w) != READY -> w = 0; goto wait
    :: else
    fi;
#else
    if
    :: ST(w) != READY && ST(w) != GRANTED -> w = 0; goto wait                /* L539 LP_PENDING */
    :: else
    fi;
#endif
    /* L540 lp__collect: await READY, take the result, recycle */
    cellw[c] == CW(r, READY);
    d_step { given = cslot[c]; cellw[c] = CW(NEXTR(r), EMPTY); t = 0; c = 0; r = 0; w = 0 };
    if
    :: given == RETRY -> given = 0; goto acquire                            /* L546 retry */
    :: else -> d_step { s = given; given = 0; rec_live[me] = 0; patient[me] = 0 }; goto obtained  /* L542 */
    fi;

/* ---- C: lp_wait_cancel (L549-574) --------------------------------------------------- */
cancel:
    atomic { /* L557 CAS WAITING->CANCELLED (seq_cst) */
        if
        :: cellw[c] == CW(r, WAITING) -> cellw[c] = CW(r, CANCELLED); ok = 1; livemask = livemask & ~(1 << c)
        :: else -> ok = 0
        fi
    };
    if
    :: ok -> d_step { t = 0; c = 0; r = 0; rec_live[me] = 0 }; sweep(); goto done  /* L558-560 */
    :: else
    fi;
    cellw[c] == CW(r, READY);                                                /* L563 lp__collect */
    d_step { given = cslot[c]; cellw[c] = CW(NEXTR(r), EMPTY); t = 0; c = 0; r = 0; rec_live[me] = 0 };
    if
    :: given == RETRY -> given = 0; give = RETRY; serve(); goto done        /* L564-566 */
    :: else
    fi;
#ifdef BUG_CANCEL_DROPS
    given = 0; goto done;
#endif
    if
    :: d_step { s = given; given = 0 }; goto obtained                        /* L568-570 slot != NULL */
    :: d_step { rs = given; given = 0 }; release(); goto done               /* L572 slot == NULL */
    fi;

/* ---- the caller holds slot s, uses it, releases it (lp_put / lp_put_discard) -------- */
obtained:
    atomic {
        assert(sstate[s] == S_HELD && owner[s] == 0);                       /* A1 */
        owner[s] = ID(me); snap = 0; updated = 0
    };
    d_step { owner[s] = 0; rs = s; s = NOSLOT };
    release();

done:
    atomic {
        busy--; rec_live[me] = 0; patient[me] = 0;
        assert(busy > 0 || QUIESCENT_OK);                                    /* A2 */
        s = NOSLOT; t = 0; c = 0; r = 0; i = 0; snap = 0; ok = 0; updated = 0; res = 0; act = 0
    };
    goto idle
}

init {
    byte p = 0;
    atomic {
        do
        :: p < NPROC -> run worker(p); p++
        :: else -> break
        od
    }
}

/* ---- LTL (pan -a -f -N <name>) ----------------------------------------------------- */
ltl served { [] (patient[0] -> <> !patient[0]) }
ltl wakeup { [] (parked[0] -> <> !parked[0]) }
