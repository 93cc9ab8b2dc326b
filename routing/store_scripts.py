"""The Lua scripts that make every `RoutingStore` state change atomic.

Each script checks the state it expects, changes agent and call hashes and the queue
sorted set together, and appends the change to the event stream, all in one Redis
call: two controllers can never give one agent two calls or one call to two agents.
A refusal is returned (not raised) as ``{0, reason, detail}``; success is ``{1, ...}``.
Keys are passed in KEYS (agent hash, call hash, queue zset, event stream, ...).
"""

from __future__ import annotations

# Appends one event to the stream, trimmed to about `maxlen` entries; inlined in every script.
# Keys built from a prefix inside a script (a call's queue) are fine on one Redis server,
# not on a Redis Cluster.
_EMIT = """
local function emit(stream, maxlen, ...)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', ...)
end
"""

#: KEYS: agent, agents set, stream. ARGV: maxlen, now, id, employee, device, skills, queues.
#: The stream entry carries the whole profile, so that a follower needs no extra read.
LOGIN = _EMIT + """
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'logged_out' then return {0, 'state', state} end
redis.call('HSET', KEYS[1], 'id', ARGV[3], 'employee_id', ARGV[4], 'device', ARGV[5],
  'skills', ARGV[6], 'queues', ARGV[7], 'state', 'available', 'pause_reason', '',
  'idle_since', ARGV[2], 'missed', 0, 'call_id', '')
redis.call('SADD', KEYS[2], ARGV[3])
emit(KEYS[3], ARGV[1], 'kind', 'agent_state', 'at', ARGV[2], 'agent_id', ARGV[3],
  'state', 'available', 'cause', 'AgentLoggedIn', 'employee_id', ARGV[4], 'device', ARGV[5],
  'skills', ARGV[6], 'queues', ARGV[7])
return {1}
"""

#: KEYS: agent, stream. ARGV: maxlen, now, agent id,
#: event name, target state, pause reason, reset idle (0/1), call key prefix, queue key prefix,
#: allowed states (the rest).
AGENT_MOVE = _EMIT + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0, 'unknown', ''} end
local allowed = false
for i = 10, #ARGV do if ARGV[i] == state then allowed = true end end
if not allowed then return {0, 'state', state} end
local call_id = redis.call('HGET', KEYS[1], 'call_id')
if state == 'offered' and call_id ~= '' then
  local ckey = ARGV[8] .. call_id
  local queue = redis.call('HGET', ckey, 'queue')
  redis.call('HSET', ckey, 'state', 'waiting', 'agent_id', '')
  redis.call('ZADD', ARGV[9] .. queue, redis.call('HGET', ckey, 'score'), call_id)
  emit(KEYS[2], ARGV[1], 'kind', 'call_state', 'at', ARGV[2], 'call_id', call_id,
    'state', 'waiting', 'cause', ARGV[4])
  call_id = ''
end
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'pause_reason', ARGV[6], 'call_id', call_id)
if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'idle_since', ARGV[2], 'missed', 0) end
emit(KEYS[2], ARGV[1], 'kind', 'agent_state', 'at', ARGV[2], 'agent_id', ARGV[3],
  'state', ARGV[5], 'cause', ARGV[4], 'reason', ARGV[6])
return {1}
"""

#: KEYS: call, queue, stream. ARGV: maxlen, now, call id, score, then field/value pairs.
#: The stream entry carries queue, priority and requirements (statistics need them later).
ENQUEUE = _EMIT + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, 'exists', redis.call('HGET', KEYS[1], 'state')}
end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'state', 'waiting', 'agent_id', '', 'score', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
emit(KEYS[3], ARGV[1], 'kind', 'call_enqueued', 'at', ARGV[2], 'call_id', ARGV[3],
  'state', 'waiting', 'queue', redis.call('HGET', KEYS[1], 'queue'),
  'priority', redis.call('HGET', KEYS[1], 'priority'),
  'requirements', redis.call('HGET', KEYS[1], 'requirements'))
return {1}
"""

#: KEYS: call, stream. ARGV: maxlen, now, call id.
CALLBACK = _EMIT + """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'waiting' then return {0, 'call', state or 'unknown'} end
redis.call('HSET', KEYS[1], 'callback', 1)
emit(KEYS[2], ARGV[1], 'kind', 'callback_requested', 'at', ARGV[2], 'call_id', ARGV[3])
return {1}
"""

#: KEYS: agent, call, stream. ARGV: maxlen, now, call id, agent id, queue key prefix.
CLAIM = _EMIT + """
local astate = redis.call('HGET', KEYS[1], 'state')
if astate ~= 'available' then return {0, 'agent', astate or 'unknown'} end
local cstate = redis.call('HGET', KEYS[2], 'state')
if cstate ~= 'waiting' then return {0, 'call', cstate or 'unknown'} end
local queue = redis.call('HGET', KEYS[2], 'queue')
redis.call('ZREM', ARGV[5] .. queue, ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'offered', 'call_id', ARGV[3])
redis.call('HSET', KEYS[2], 'state', 'offered', 'agent_id', ARGV[4])
emit(KEYS[3], ARGV[1], 'kind', 'call_offered', 'at', ARGV[2], 'call_id', ARGV[3],
  'agent_id', ARGV[4], 'state', 'offered')
return {1}
"""

#: KEYS: agent, call, stream. ARGV: maxlen, now, call id, agent id, event name,
#: missed (0/1), max misses, pause reason, queue key prefix.
RELEASE = _EMIT + """
if redis.call('HGET', KEYS[2], 'state') ~= 'offered'
   or redis.call('HGET', KEYS[2], 'agent_id') ~= ARGV[4] then
  return {0, 'call', redis.call('HGET', KEYS[2], 'state') or 'unknown'}
end
local queue = redis.call('HGET', KEYS[2], 'queue')
redis.call('HSET', KEYS[2], 'state', 'waiting', 'agent_id', '')
redis.call('ZADD', ARGV[9] .. queue, redis.call('HGET', KEYS[2], 'score'), ARGV[3])
local missed = tonumber(redis.call('HGET', KEYS[1], 'missed') or '0')
local state, reason = 'available', ''
if ARGV[6] == '1' then
  missed = missed + 1
  if missed >= tonumber(ARGV[7]) then state, reason = 'paused', ARGV[8] end
end
redis.call('HSET', KEYS[1], 'state', state, 'call_id', '', 'missed', missed,
  'pause_reason', reason)
emit(KEYS[3], ARGV[1], 'kind', 'call_state', 'at', ARGV[2], 'call_id', ARGV[3],
  'agent_id', ARGV[4], 'state', 'waiting', 'cause', ARGV[5])
emit(KEYS[3], ARGV[1], 'kind', 'agent_state', 'at', ARGV[2], 'agent_id', ARGV[4],
  'state', state, 'cause', ARGV[5])
return {1, state}
"""

#: KEYS: agent, call, stream. ARGV: maxlen, now, call id, agent id.
ANSWER = _EMIT + """
if redis.call('HGET', KEYS[2], 'state') ~= 'offered'
   or redis.call('HGET', KEYS[2], 'agent_id') ~= ARGV[4] then
  return {0, 'call', redis.call('HGET', KEYS[2], 'state') or 'unknown'}
end
redis.call('HSET', KEYS[2], 'state', 'connected', 'answered_at', ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'on_call', 'missed', 0)
emit(KEYS[3], ARGV[1], 'kind', 'call_answered', 'at', ARGV[2], 'call_id', ARGV[3],
  'agent_id', ARGV[4], 'state', 'connected')
return {1}
"""

#: KEYS: call, stream. ARGV: maxlen, now, call id, cause, agent key prefix, queue key prefix.
#: Removes a call in any state; its agent (if any) goes to wrap-up or back to available.
FINISH = _EMIT + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0, 'unknown', ''} end
local agent_id = redis.call('HGET', KEYS[1], 'agent_id')
redis.call('ZREM', ARGV[6] .. redis.call('HGET', KEYS[1], 'queue'), ARGV[3])
redis.call('DEL', KEYS[1])
if agent_id and agent_id ~= '' then
  local next_state = 'available'
  if state == 'connected' then next_state = 'wrap_up' end
  local akey = ARGV[5] .. agent_id
  redis.call('HSET', akey, 'state', next_state, 'call_id', '')
  if next_state == 'available' then redis.call('HSET', akey, 'idle_since', ARGV[2]) end
  emit(KEYS[2], ARGV[1], 'kind', 'agent_state', 'at', ARGV[2], 'agent_id', agent_id,
    'state', next_state, 'cause', ARGV[4])
end
emit(KEYS[2], ARGV[1], 'kind', ARGV[4], 'at', ARGV[2], 'call_id', ARGV[3], 'state', 'gone')
return {1, state}
"""
