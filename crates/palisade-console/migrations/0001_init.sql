-- The console's store ({{backend}}). The {{other}} migration of the same
-- number holds the same tables and columns.
CREATE TABLE alerts (
    id {{id}},
    cluster TEXT NOT NULL,
    rule TEXT NOT NULL,
    priority TEXT NOT NULL,
    severity INTEGER NOT NULL,
    output TEXT NOT NULL,
    fields TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    routed TEXT NOT NULL,
    notified_at BIGINT,
    UNIQUE (cluster, rule, output)
);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
CREATE TABLE alert_counts (
    routed TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
CREATE TABLE rule_states (
    name TEXT PRIMARY KEY,
    enabled BIGINT NOT NULL,
    mode TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE exceptions (
    id {{id}},
    rule TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE runs (
    id {{id}},
    cluster TEXT NOT NULL,
    at BIGINT NOT NULL,
    score BIGINT NOT NULL,
    posture TEXT NOT NULL,
    coverage TEXT NOT NULL
);
CREATE TABLE findings (
    id {{id}},
    run_id BIGINT NOT NULL,
    cluster TEXT NOT NULL,
    layer TEXT NOT NULL,
    severity TEXT NOT NULL,
    policy TEXT NOT NULL,
    namespace TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX findings_run ON findings (run_id);
