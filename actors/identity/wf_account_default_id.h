/*  wf_account_default_id - the id of a user's default wallet account.

    Registering a user commits a UserRegistered outbox row; the account side
    opens the user's default account when it applies that row. The outbox
    delivers at least once, so the account id must not be chosen at delivery:
    it is derived from the user id alone, and a redelivery names the same
    account, which the account stream's unique (stream_id, version) key then
    refuses to open twice.

    Derivation, UUID version 5 style but with SHA-256 in place of SHA-1:
        digest = SHA-256 (namespace bytes || user id bytes)
        id     = digest[0..16) with the version nibble set to 5 and the
                 RFC 4122 variant bits to 10, as lower-case text
    where namespace is WF_ACCOUNT_DEFAULT_ID_NAMESPACE (fixed forever: changing
    it would give every user a second wallet) and user id bytes are the 16
    bytes of the uuid, so the letter case of the text does not matter. A user
    id that is not a uuid is hashed as its text bytes: still deterministic,
    never a crash.

    Both the identity service (the row's route_key) and the account service
    (the account it opens) call this one function.
*/
#ifndef WF_ACCOUNT_DEFAULT_ID_H_INCLUDED
#define WF_ACCOUNT_DEFAULT_ID_H_INCLUDED

#define WF_ACCOUNT_DEFAULT_ID_NAMESPACE "8d5f6a1e-3c2b-4e7a-9f10-5b6c7d8e9f01"

//  Write the default account id of user_id (NUL-terminated) into out.
void wf_account_default_id (const char *user_id, char out[37]);

#endif
