-- wrk script: POST the AdmissionReview named by $PALISADE_REVIEW to /validate.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open(os.getenv("PALISADE_REVIEW"), "r"))
wrk.body = file:read("*a")
file:close()
