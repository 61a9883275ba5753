# bench/perf_threads.awk - walletflow CPU by actor, from `perf script -F tid,ip,sym` (used by run.sh).
# Attributes walletflow's samples to actors by thread: each thread is named after the actor frame
# most of its call chains reach (frame pointers stop inside libwebsockets and libzmq, so lws's
# callback marks the front's HTTP thread and libzmq frames its I/O threads).
function flush() {
    if (tid == "") return
    label = actor != "" ? actor : (lws ? "wf_front_http_actor (lws)" : (zmq ? "libzmq I/O" : ""))
    if (label != "") votes[tid, label]++
    tid = ""
}
/^ *[0-9]+ *$/ { flush(); tid = $1; total[tid]++; all++; actor = ""; lws = 0; zmq = 0; next }
NF >= 2 {
    if (actor == "" && $2 ~ /^wf_[a-z_]+_actor$/) actor = $2
    if ($2 ~ /^(s_callback|lws_|_lws_)/) lws = 1
    if ($2 ~ /zmq/) zmq = 1
}
END {
    flush()
    for (k in votes) {
        split(k, p, SUBSEP)
        if (votes[k] > best[p[1]]) { best[p[1]] = votes[k]; name[p[1]] = p[2] }
    }
    for (t in total) {
        n = (t in name) ? name[t] : "unattributed"
        share[n] += total[t]
        threads[n] = threads[n] " " t
    }
    for (n in share) printf "%7.2f%%  %-28s threads:%s\n", 100 * share[n] / all, n, threads[n] | "sort -rn"
    close("sort -rn")
    printf "# by thread\n"
    for (t in total) printf "%7.2f%%  %-8s %s\n", 100 * total[t] / all, t, (t in name) ? name[t] : "unattributed" | "sort -rn"
}
