//! The assignment decision, as a pure function: given a shop's routing rules, the
//! accounts allowed to chat there (with their presence and current load), the agent who
//! recently talked with the buyer and a random source, which account gets the
//! conversation — or none, and it waits in the queue. The inbox's router
//! (`inbox/routing.rs`) loads the inputs and records the choice atomically.

use super::ids::AgentId;
use super::model::{Agent, AgentStatus, Role};
use rand::Rng;
use rand::seq::IndexedRandom;
use shopmux_contract::rules::{AssignPolicy, Routing, RuleId};

/// An account allowed to chat in the shop, as routing sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The account.
    pub id: AgentId,
    /// Main account or sub-account.
    pub role: Role,
    /// Its presence status.
    pub status: AgentStatus,
    /// Its "accept assignment" switch.
    pub accept_assignment: bool,
    /// Whether it has a live stream open.
    pub connected: bool,
    /// Its maximum of simultaneous buyers.
    pub capacity: i64,
    /// Conversations it holds now, in every shop.
    pub load: i64,
}

impl Candidate {
    /// An agent as a candidate, with its load.
    pub fn of(agent: &Agent, load: i64) -> Self {
        Self {
            id: agent.id,
            role: agent.role,
            status: agent.status,
            accept_assignment: agent.accept_assignment,
            connected: agent.connected,
            capacity: agent.capacity,
            load,
        }
    }

    /// Under its own maximum (DY-CAP-1).
    pub fn has_room(&self) -> bool {
        self.load < self.capacity
    }

    /// Whether automatic assignment may pick it.
    pub fn available(&self) -> bool {
        // rule: DY-STATUS-1 (busy and offline receive no new conversations)
        self.status == AgentStatus::Online
            // rule: TT-AGENT-2 (switch off: no automatic assignment)
            && self.accept_assignment
            // rule: TT-AGENT-3 (no open chat tool: nothing automatic)
            && self.connected
            && self.has_room()
    }
}

/// Who gets the conversation, and the rule that chose them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The account.
    pub agent: AgentId,
    /// The rule ID.
    pub rule: RuleId,
}

/// Chooses the account for one conversation, or none (it queues). `candidates` are the
/// accounts allowed to chat in the shop with this buyer; `recent` is the account that
/// talked with the buyer within the sticky policy's window, if any.
pub fn choose<R: Rng + ?Sized>(
    routing: &Routing, candidates: &[Candidate], recent: Option<AgentId>, rng: &mut R,
) -> Option<Choice> {
    let pick = |rule: &RuleId, agent: AgentId| Some(Choice { agent, rule: rule.clone() });
    if let (Some(rule), [only]) = (&routing.single_agent_rule, candidates) {
        // rule: TT-AGENT-1 (one chat account: it gets everything, no status switch)
        return pick(rule, only.id);
    }
    let available: Vec<&Candidate> = candidates.iter().filter(|c| c.available()).collect();
    match &routing.assign {
        // rule: SH-ASSIGN-1 (manual only)
        AssignPolicy::Manual { .. } => None,
        AssignPolicy::IdleRate { rule } => {
            // rule: DY-ROUTE-1 — compare (max − cur)/max exactly, as cross products.
            let best = available.iter().copied().max_by(|a, b| idle_cmp(a, b))?;
            let ties: Vec<&Candidate> =
                available.iter().copied().filter(|c| idle_cmp(c, best).is_eq()).collect();
            pick(rule, ties.choose(rng)?.id)
        }
        AssignPolicy::LeastLoaded { rule } => {
            // rule: TT-QUEUE-1 (only available agents with spare capacity)
            let least = available.iter().map(|c| c.load).min()?;
            let ties: Vec<&Candidate> =
                available.iter().copied().filter(|c| c.load == least).collect();
            pick(rule, ties.choose(rng)?.id)
        }
        AssignPolicy::Sticky { new_rule, returning_rule, .. } => {
            // rule: AE-ROUTE-2 (the agent of the last 72 hours, if online)
            if let Some(agent) = recent
                && available.iter().any(|c| c.id == agent)
            {
                return pick(returning_rule, agent);
            }
            let rule = if recent.is_some() { returning_rule } else { new_rule };
            // rule: AE-ROUTE-1 (a random online sub-account, else the main account)
            let subs: Vec<&Candidate> =
                available.iter().copied().filter(|c| c.role == Role::Agent).collect();
            if let Some(c) = subs.choose(rng) {
                return pick(rule, c.id);
            }
            let owner = candidates.iter().find(|c| c.role == Role::Owner && c.has_room())?;
            pick(rule, owner.id)
        }
    }
}

/// Orders by idle rate (capacity − load) / capacity, exactly.
fn idle_cmp(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let lhs = i128::from(a.capacity - a.load) * i128::from(b.capacity);
    let rhs = i128::from(b.capacity - b.load) * i128::from(a.capacity);
    lhs.cmp(&rhs)
}

/// Whether a choice can exist for some conversation now: false means every queued
/// conversation of the shop stays queued, so the router need not look at them. (The
/// sticky policy's choice depends on the buyer, so it says yes whenever anyone could.)
pub fn anyone_could_take(routing: &Routing, candidates: &[Candidate]) -> bool {
    if routing.single_agent_rule.is_some() && candidates.len() == 1 {
        return true;
    }
    match routing.assign {
        AssignPolicy::Manual { .. } => false,
        AssignPolicy::IdleRate { .. } | AssignPolicy::LeastLoaded { .. } => {
            candidates.iter().any(Candidate::available)
        }
        AssignPolicy::Sticky { .. } => {
            candidates.iter().any(|c| c.available() || (c.role == Role::Owner && c.has_room()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashMap;

    fn agent(role: Role, capacity: i64, load: i64) -> Candidate {
        Candidate {
            id: AgentId::new(),
            role,
            status: AgentStatus::Online,
            accept_assignment: true,
            connected: true,
            capacity,
            load,
        }
    }

    fn policy(name: &str) -> Routing {
        Routing::only(AssignPolicy::by_name(name).unwrap())
    }

    #[test]
    fn dy_route_1_the_seed_example_picks_b() {
        // Seed 003 §4.1.2: A max 10 with 2 (80 %), B max 30 with 3 (90 %): B.
        let a = agent(Role::Agent, 10, 2);
        let b = agent(Role::Agent, 30, 3);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..20 {
            let c = choose(&policy("idle_rate"), &[a.clone(), b.clone()], None, &mut rng);
            assert_eq!(c.unwrap().agent, b.id);
        }
    }

    #[test]
    fn dy_route_1_ties_are_broken_at_random() {
        let a = agent(Role::Agent, 10, 5);
        let b = agent(Role::Agent, 20, 10);
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen: HashMap<AgentId, u32> = HashMap::new();
        for _ in 0..200 {
            let c = choose(&policy("idle_rate"), &[a.clone(), b.clone()], None, &mut rng);
            *seen.entry(c.unwrap().agent).or_default() += 1;
        }
        assert_eq!(seen.len(), 2, "both tied agents are picked: {seen:?}");
        assert!(seen.values().all(|&n| n > 50), "{seen:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_choices() {
        let agents: Vec<Candidate> = (0..5).map(|_| agent(Role::Agent, 10, 0)).collect();
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..20)
                .map(|_| choose(&policy("idle_rate"), &agents, None, &mut rng).unwrap().agent)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
    }

    #[test]
    fn unavailable_agents_are_never_picked_automatically() {
        let mut rng = StdRng::seed_from_u64(3);
        let full = agent(Role::Agent, 2, 2); // rule: DY-CAP-1
        let mut busy = agent(Role::Agent, 10, 0); // rule: DY-STATUS-1
        busy.status = AgentStatus::Busy;
        let mut switched_off = agent(Role::Agent, 10, 0); // rule: TT-AGENT-2
        switched_off.accept_assignment = false;
        let mut disconnected = agent(Role::Agent, 10, 0); // rule: TT-AGENT-3
        disconnected.connected = false;
        let all = [full, busy, switched_off, disconnected];
        for name in ["idle_rate", "least_loaded"] {
            assert_eq!(choose(&policy(name), &all, None, &mut rng), None, "{name}");
            assert!(!anyone_could_take(&policy(name), &all));
        }
        let ready = agent(Role::Agent, 10, 9);
        let mut with_ready = all.to_vec();
        with_ready.push(ready.clone());
        assert_eq!(
            choose(&policy("least_loaded"), &with_ready, None, &mut rng).map(|c| c.agent),
            Some(ready.id)
        );
    }

    #[test]
    fn tt_queue_1_least_loaded_available_agent() {
        let mut rng = StdRng::seed_from_u64(3);
        let a = agent(Role::Agent, 50, 7);
        let b = agent(Role::Agent, 5, 2);
        let c = choose(&policy("least_loaded"), &[a, b.clone()], None, &mut rng).unwrap();
        assert_eq!((c.agent, c.rule.as_str()), (b.id, "TT-QUEUE-1"));
    }

    #[test]
    fn tt_agent_1_a_single_chat_account_gets_everything() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut only = agent(Role::Owner, 1, 1);
        only.status = AgentStatus::Offline;
        only.connected = false;
        let routing =
            Routing { single_agent_rule: Some("TT-AGENT-1".into()), ..policy("least_loaded") };
        let c = choose(&routing, std::slice::from_ref(&only), None, &mut rng).unwrap();
        assert_eq!((c.agent, c.rule.as_str()), (only.id, "TT-AGENT-1"));
        // With two chat accounts the rule does not apply.
        let other = agent(Role::Agent, 1, 1);
        assert_eq!(choose(&routing, &[only, other], None, &mut rng), None);
    }

    #[test]
    fn ae_route_2_a_returning_buyer_gets_their_agent_when_online() {
        let mut rng = StdRng::seed_from_u64(3);
        let owner = agent(Role::Owner, 10, 0);
        let subs: Vec<Candidate> = (0..4).map(|_| agent(Role::Agent, 10, 0)).collect();
        let mut all = vec![owner.clone()];
        all.extend(subs.iter().cloned());
        let recent = subs[2].id;
        for _ in 0..10 {
            let c = choose(&policy("sticky"), &all, Some(recent), &mut rng).unwrap();
            assert_eq!((c.agent, c.rule.as_str()), (recent, "AE-ROUTE-2"));
        }
        // Offline: a random online sub-account, never the main account.
        all[3].status = AgentStatus::Offline;
        let c = choose(&policy("sticky"), &all, Some(recent), &mut rng).unwrap();
        assert_ne!(c.agent, recent);
        assert_ne!(c.agent, owner.id);
        assert_eq!(c.rule, "AE-ROUTE-2");
    }

    #[test]
    fn ae_route_1_a_new_buyer_goes_to_a_random_sub_account_else_the_main_account() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut owner = agent(Role::Owner, 10, 0);
        owner.status = AgentStatus::Offline;
        owner.connected = false;
        let a = agent(Role::Agent, 10, 0);
        let b = agent(Role::Agent, 10, 0);
        let all = [owner.clone(), a.clone(), b.clone()];
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let c = choose(&policy("sticky"), &all, None, &mut rng).unwrap();
            assert_eq!(c.rule, "AE-ROUTE-1");
            seen.insert(c.agent);
        }
        assert_eq!(seen, [a.id, b.id].into_iter().collect());
        // Nobody online: the main account, even offline.
        let mut off = all.clone();
        off[1].status = AgentStatus::Offline;
        off[2].connected = false;
        let c = choose(&policy("sticky"), &off, None, &mut rng).unwrap();
        assert_eq!(c.agent, owner.id);
        // A full main account is not pushed over its maximum: the buyer queues.
        off[0].load = 10;
        assert_eq!(choose(&policy("sticky"), &off, None, &mut rng), None);
    }

    #[test]
    fn sh_assign_1_manual_shops_assign_nothing() {
        let mut rng = StdRng::seed_from_u64(3);
        let a = agent(Role::Agent, 10, 0);
        assert_eq!(choose(&policy("manual"), std::slice::from_ref(&a), None, &mut rng), None);
        assert!(!anyone_could_take(&policy("manual"), &[a]));
    }
}
