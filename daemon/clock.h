/*
 * clock.h - the wall clock agauthd checks tokens against (exp, nbf, iat,
 * maxAge, revocation instants): seconds since the epoch as JavaScript's
 * Date.now() / 1000 gives them, with their fraction.
 */
#ifndef AG_CLOCK_H
#define AG_CLOCK_H

/* Seconds since the epoch (CLOCK_REALTIME). */
double clock_wall(void);

#endif
