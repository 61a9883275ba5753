/*  wf_front_accounts - /api/accounts: list, open, get, deposit, withdraw,
    transfer, history, suspend, reactivate.
*/
#ifndef WF_FRONT_ACCOUNTS_H_INCLUDED
#define WF_FRONT_ACCOUNTS_H_INCLUDED

#include "wf_front_routes.h"

const wf_front_route_def_t *wf_front_account_routes (size_t *count);

//  The ledger routes (wf_front_ledger.c): holds, refunds, balance at a
//  moment, statements, overdraft.
const wf_front_route_def_t *wf_front_ledger_routes (size_t *count);

#endif
