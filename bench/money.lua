-- bench/money.lua - wrk script: the closed-loop mix of money commands.
--
--   wrk -t2 -c64 -d20s --latency --timeout 10s -s bench/money.lua http://127.0.0.1:PORT \
--       -- USERS_FILE RUN_ID [MIX] [CONNECTIONS]
--
-- USERS_FILE holds one "ACCOUNT_ID TOKEN" per line (written by bench/register.mjs). Each request
-- is a deposit, withdrawal or transfer (MIX = "deposit,withdraw,transfer" weights, default
-- 40,30,30, the mix of tests/e2e/load.mjs) from a random user's wallet, with that user's Bearer
-- token and a unique Idempotency-Key (RUN_ID-w<thread>-<n>), so every request is a new command.
-- Amounts: deposits 1.00-200.00, withdrawals and transfers 0.01-50.00 (wallets are seeded, so
-- insufficient funds stay rare). done() prints one key=value line in the format of wf_loadgen,
-- with the answers counted by HTTP status (the `response` hook).

local threads = {}

function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

local accounts, tokens = {}, {}
local run_id, mix = "wrk", { 40, 30, 30 }
connections = 0
local seq = 0
statuses = {}

function init(args)
    local path = args[1]
    run_id = args[2] or run_id
    if args[3] then
        local d, w, t = args[3]:match("^(%d+),(%d+),(%d+)$")
        mix = { tonumber(d), tonumber(w), tonumber(t) }
    end
    connections = tonumber(args[4] or "0") or 0
    for line in io.lines(path) do
        local account, token = line:match("^(%S+)%s+(%S+)")
        if account then
            accounts[#accounts + 1] = account
            tokens[#tokens + 1] = token
        end
    end
    if #accounts < 2 then
        error("money.lua: " .. tostring(path) .. " holds fewer than 2 users")
    end
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

local function money(cents)
    return string.format("%d.%02d", math.floor(cents / 100), cents % 100)
end

function request()
    seq = seq + 1
    local n = #accounts
    local u = math.random(n)
    local roll = math.random(mix[1] + mix[2] + mix[3])
    local kind, body
    if roll <= mix[1] then
        kind = "deposit"
        body = '{"amount":' .. money(math.random(100, 20000)) .. ',"description":"bench"}'
    elseif roll <= mix[1] + mix[2] then
        kind = "withdraw"
        body = '{"amount":' .. money(math.random(1, 5000)) .. ',"description":"bench"}'
    else
        local v = (u + math.random(n - 1) - 1) % n + 1
        kind = "transfer"
        body = '{"destinationAccountId":"' .. accounts[v] .. '","amount":'
            .. money(math.random(1, 5000)) .. ',"description":"bench"}'
    end
    return wrk.format("POST", "/api/accounts/" .. accounts[u] .. "/" .. kind, {
        ["Authorization"] = "Bearer " .. tokens[u],
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = run_id .. "-w" .. tostring(tid) .. "-" .. seq,
    }, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        local s = thread:get("statuses")
        if type(s) == "table" then
            for status, count in pairs(s) do
                counts[status] = (counts[status] or 0) + count
            end
        end
    end
    local keys, ok, total = {}, 0, 0
    for status in pairs(counts) do keys[#keys + 1] = status end
    table.sort(keys)
    local parts = {}
    for _, status in ipairs(keys) do
        parts[#parts + 1] = status .. ":" .. counts[status]
        total = total + counts[status]
        if status >= 200 and status < 300 then ok = ok + counts[status] end
    end
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        "tool=wrk mode=closed rate_target=0 duration_s=%.1f connections=%d threads=%d "
        .. "requests=%d rps=%.1f ok=%d ok_rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
        .. "p999_ms=%.3f max_ms=%.3f mean_ms=%.3f statuses=%s "
        .. "errors=connect:%d,read:%d,write:%d,timeout:%d,status:%d\n",
        seconds, threads[1] and threads[1]:get("connections") or 0, #threads, summary.requests, summary.requests / seconds,
        ok, ok / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
        latency.mean / 1000, #parts > 0 and table.concat(parts, ",") or "none",
        e.connect, e.read, e.write, e.timeout, e.status))
end
