/*  wf_mdp - constants of the Majordomo Protocol 7/MDP (rfc.zeromq.org/spec/7).

    Grammar (who sends what, when):
      client -> broker  : [""] ["MDPC01"] [service] [body]...
      broker -> client  : [""] ["MDPC01"] [service] [body]...
      worker -> broker  : [""] ["MDPW01"] [0x01 READY] [service] {[credit]}
                          [""] ["MDPW01"] [0x03 REPLY] [client] [""] [body]...
                          [""] ["MDPW01"] [0x04 HEARTBEAT]
                          [""] ["MDPW01"] [0x05 DISCONNECT]
                          [""] ["MDPW01"] [0x06 DRAIN]
      broker -> worker  : [""] ["MDPW01"] [0x02 REQUEST] [client] [""] [body]...
                          [""] ["MDPW01"] [0x04 HEARTBEAT]
                          [""] ["MDPW01"] [0x05 DISCONNECT]
                          [""] ["MDPW01"] [0x06 DRAIN]
    The optional [credit] frame after READY is our extension: the decimal number
    of requests the worker accepts at once (default 1, as plain MDP). WalletFlow
    bodies are two frames, [envelope][body] (proto/wf_msg.h).
    DRAIN is our extension for a graceful stop: the worker asks for no more
    requests; the broker stops dispatching to it and answers DRAIN. Requests
    it sent before travel ahead of that answer on the same connection, so a
    worker that has received the answer holds everything it will ever get:
    it answers it all, then sends DISCONNECT. Nothing in flight is failed.
    Service names beginning with "mmi." are answered by the broker itself
    (7/MDP's MMI: "mmi.service" with the service name as body -> "200" or "404").
*/
#ifndef WF_MDP_H_INCLUDED
#define WF_MDP_H_INCLUDED

#define WF_MDPC "MDPC01"
#define WF_MDPW "MDPW01"

#define WF_MDPW_READY      "\001"
#define WF_MDPW_REQUEST    "\002"
#define WF_MDPW_REPLY      "\003"
#define WF_MDPW_HEARTBEAT  "\004"
#define WF_MDPW_DISCONNECT "\005"
#define WF_MDPW_DRAIN      "\006"

#endif
