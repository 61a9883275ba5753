/*  wf_migrate - applies the SQL migrations of schema/ at start.

    The migrations are compiled into the binary (schema/NNNN_<what>.sql, in
    order). Pending ones are applied in one transaction under a PostgreSQL
    advisory lock, so two processes starting at once apply each exactly once,
    and recorded in `schema_migrations` with a checksum: an applied migration
    whose text changed since is refused (migrations are never edited).
*/
#ifndef WF_MIGRATE_H_INCLUDED
#define WF_MIGRATE_H_INCLUDED

#include <libpq-fe.h>
#include <stddef.h>

typedef struct {
    int version;      //  NNNN
    const char *name; //  file name
    const char *sql;
} wf_migration_t;

//  The compiled-in migrations, ascending by version.
const wf_migration_t *wf_migrations (size_t *count);

//  Applies the pending migrations. Returns the schema version (highest applied)
//  or -1 with a reason in err.
int wf_migrate_apply (PGconn *conn, char *err, size_t err_size);

//  Reads the current schema version (0 when none), or -1 on error.
int wf_migrate_version (PGconn *conn);

#endif
