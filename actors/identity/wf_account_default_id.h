/*  wf_account_default_id - the id of a user's default wallet, derived from
    the user id (name-based, UUID version 5 layout over BLAKE2b).

    Identity uses it as the UserRegistered outbox row's route_key (which shard
    opens the wallet) and the account shard as the wallet's id, so however
    often UserRegistered is redelivered, it can only ever open one stream.
*/
#ifndef WF_ACCOUNT_DEFAULT_ID_H_INCLUDED
#define WF_ACCOUNT_DEFAULT_ID_H_INCLUDED

//  Writes the default account id of user_id (its text as given) as a
//  lower-case uuid into out.
void wf_account_default_id (const char *user_id, char out[37]);

#endif
