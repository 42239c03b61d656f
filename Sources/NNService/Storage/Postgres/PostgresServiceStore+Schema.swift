import PostgresStore

extension PostgresServiceStore {
    /// The schema, migration by migration (recorded in `schema_migrations` by `PostgresMigrator`).
    /// Names are never reused or reordered once released; a change is a new migration.
    static var migrator: PostgresMigrator {
        var migrator = PostgresMigrator()
        // The SQLite store's tables after its migrations 001–005, in one step: PostgreSQL
        // databases start at this layout. Times the API shows stay RFC 3339 text (as written by
        // `Identifiers.now()`), so both stores answer them byte for byte alike; the lease expiry,
        // compared only by the server, is a TIMESTAMPTZ.
        migrator.register("001_initial_schema") { db in
            try db.executeScript(
                """
                CREATE TABLE datasets(
                  seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                  rows BIGINT NOT NULL, input_shape TEXT NOT NULL, target TEXT NOT NULL,
                  inputs BYTEA NOT NULL, targets BYTEA NOT NULL, bytes BIGINT NOT NULL, created_at TEXT NOT NULL);
                CREATE TABLE models(
                  seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, loss TEXT, weights BYTEA,
                  weights_epoch BIGINT, weights_version BIGINT NOT NULL DEFAULT 0,
                  epochs_trained BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                  name TEXT, tags TEXT NOT NULL DEFAULT '[]');
                CREATE TABLE jobs(
                  seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
                  dataset_id TEXT NOT NULL, validation_dataset_id TEXT, config TEXT NOT NULL,
                  status TEXT NOT NULL, epoch BIGINT NOT NULL DEFAULT 0, epochs BIGINT NOT NULL,
                  base_epoch BIGINT NOT NULL DEFAULT 0, latest TEXT, error TEXT,
                  stopped_early BOOLEAN NOT NULL DEFAULT false,
                  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
                  attempts BIGINT NOT NULL DEFAULT 0, crashes BIGINT NOT NULL DEFAULT 0,
                  name TEXT, tags TEXT NOT NULL DEFAULT '[]',
                  lease_owner TEXT, lease_expires_at TIMESTAMPTZ);
                CREATE INDEX jobs_status ON jobs(status, seq);
                CREATE INDEX jobs_lease ON jobs(status, lease_expires_at);
                CREATE INDEX jobs_model ON jobs(model_id);
                CREATE INDEX jobs_name ON jobs(name, seq);
                CREATE INDEX models_name ON models(name, seq);
                CREATE TABLE metrics(
                  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, epoch BIGINT NOT NULL,
                  data TEXT NOT NULL, PRIMARY KEY(job_id, epoch));
                CREATE TABLE checkpoints(
                  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE, epoch BIGINT NOT NULL,
                  job_id TEXT, loss DOUBLE PRECISION, val_loss DOUBLE PRECISION, accuracy DOUBLE PRECISION,
                  val_accuracy DOUBLE PRECISION, created_at TEXT NOT NULL, state BYTEA NOT NULL,
                  PRIMARY KEY(model_id, epoch));
                CREATE INDEX checkpoints_job ON checkpoints(job_id, epoch);
                CREATE TABLE store_state(
                  singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
                  models_generation BIGINT NOT NULL DEFAULT 0);
                INSERT INTO store_state DEFAULT VALUES;
                """)
        }
        // The SQLite store's `006_sweeps`: sweeps with every trial's parameters, each trial's
        // job once launched, ASHA's rung records, and why ASHA stopped a job.
        migrator.register("002_sweeps") { db in
            try db.executeScript(
                """
                ALTER TABLE jobs ADD COLUMN stopped_by TEXT;
                CREATE TABLE sweeps(
                  seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT,
                  job TEXT NOT NULL, parameters TEXT NOT NULL, search TEXT NOT NULL, trial_count BIGINT NOT NULL,
                  parallel BIGINT NOT NULL, metric TEXT NOT NULL, goal TEXT NOT NULL,
                  asha_min_epochs BIGINT, asha_reduction_factor BIGINT, seed BIGINT NOT NULL,
                  status TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT);
                CREATE INDEX sweeps_status ON sweeps(status, seq);
                CREATE TABLE sweep_trials(
                  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, trial BIGINT NOT NULL,
                  params TEXT NOT NULL, job_id TEXT, launch_error TEXT,
                  PRIMARY KEY(sweep_id, trial));
                CREATE INDEX sweep_trials_job ON sweep_trials(job_id);
                CREATE TABLE sweep_rungs(
                  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, rung BIGINT NOT NULL,
                  trial BIGINT NOT NULL, metric DOUBLE PRECISION, continues BOOLEAN NOT NULL, arrival BIGINT NOT NULL,
                  PRIMARY KEY(sweep_id, rung, trial));
                """)
        }
        return migrator
    }
}
