-- Admission decisions forwarded by `palisade admission serve --console`.
-- One text for both backends: `{{id}}` is each dialect's auto-assigned key.
CREATE TABLE admission_decisions (
    id {{id}},
    cluster TEXT NOT NULL,
    at BIGINT NOT NULL,
    uid TEXT NOT NULL,
    operation TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    allowed BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    dry_run BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX admission_decisions_at ON admission_decisions (at);
CREATE TABLE decision_policies (
    decision_id BIGINT NOT NULL,
    policy TEXT NOT NULL,
    action TEXT NOT NULL
);
CREATE INDEX decision_policies_policy ON decision_policies (policy, decision_id);
CREATE TABLE decision_counts (
    cluster TEXT NOT NULL,
    verdict TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (cluster, verdict)
);
