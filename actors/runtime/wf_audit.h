/*  wf_audit - checks every money invariant against the event store itself
    (DESIGN.md §5), for `walletflow audit`:
      - each stream's versions run 1..n without a gap
      - no balance ever below zero, replaying each stream in order
      - conservation per currency: sum of balances + money in flight
        = deposits - withdrawals
      - every transfer credited or refunded at most once, never both, always
        for its exact amount, and never across currencies
      - the read models (accounts, transfers) equal the replayed state
      - no message applied twice (inbox keys are unique by construction;
        transaction ids are checked per stream)
    Each violation is printed on its own line; the result is their count.
*/
#ifndef WF_AUDIT_H_INCLUDED
#define WF_AUDIT_H_INCLUDED

#include <libpq-fe.h>
#include <stdio.h>

//  Runs every check; prints violations and a summary to out. Returns the
//  number of violations, or -1 when the database could not be read.
int wf_audit_run (PGconn *conn, FILE *out);

#endif
