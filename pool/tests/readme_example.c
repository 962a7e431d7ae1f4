#include <assert.h>
#include <stdio.h>

#include <lockpool.h>

typedef struct conn {
    int id;
} conn;

/* Five objects, room for 32 waiters: all storage is static, nothing is allocated. */
static LP_POOL_DEFINE(conns, 5, 32);
static conn objs[5];

int main(void) {
    lp_status st = LP_POOL_INIT(conns); /* the default mode, LP_RESTRICTED */
    assert(st == LP_OK);
    lp_pool *pool = LP_POOL(conns);

    /* Take all five. */
    uint32_t held[5];
    for (int i = 0; i < 5; i++) {
        st = lp_try_get(pool, &held[i]);
        assert(st == LP_OK);
        LP_OBJ(objs, held[i])->id = i;
    }

    /* A sixth try fails: every object is in use. */
    uint32_t slot;
    st = lp_try_get(pool, &slot);
    assert(st == LP_EMPTY);

    /* Put the first one back ... */
    st = lp_put(pool, held[0]);
    assert(st == LP_OK);

    /* ... and get it again: the same object, as we left it. */
    st = lp_try_get(pool, &slot);
    assert(st == LP_OK);
    assert(slot == held[0]);
    assert(LP_OBJ(objs, slot)->id == 0);

    held[0] = slot;
    for (int i = 0; i < 5; i++)
        lp_put(pool, held[i]);
    printf("readme example: ok\n");
    return 0;
}
