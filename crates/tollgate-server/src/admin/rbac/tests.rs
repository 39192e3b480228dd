//! The policy as a table: role × action × tenant → allowed, 404 or 403.

use super::*;

use Action::{Read, Write};
use Denied::{Forbidden, NotFound};

type Outcome = Result<(), Denied>;

const OK: Outcome = Ok(());
const HIDDEN: Outcome = Err(NotFound);
const DENIED: Outcome = Err(Forbidden);

fn actor(role: Role, org: Option<&str>, team: Option<&str>, user: Option<&str>) -> Actor {
    Actor {
        role,
        org: org.map(str::to_string),
        team: team.map(str::to_string),
        user: user.map(str::to_string),
        key: Some("k-self".into()),
    }
}

fn master() -> Actor {
    Actor::master()
}
/// An admin key that happens to belong to org B: still admin of everything.
fn admin_key() -> Actor {
    actor(Role::Admin, Some("B"), None, None)
}
fn org_admin() -> Actor {
    actor(Role::OrgAdmin, Some("A"), None, None)
}
fn viewer() -> Actor {
    actor(Role::Viewer, Some("A"), None, None)
}
fn team_admin() -> Actor {
    actor(Role::TeamAdmin, Some("A"), Some("T1"), None)
}
fn member() -> Actor {
    actor(Role::Member, Some("A"), Some("T1"), Some("U1"))
}

const ORG_A: Object = Object::Org { id: "A" };
const ORG_B: Object = Object::Org { id: "B" };
const TEAM_T1: Object = Object::Team { org: "A", id: "T1" };
const TEAM_T2: Object = Object::Team { org: "A", id: "T2" };
const TEAM_B: Object = Object::Team { org: "B", id: "TB" };
const USER_T1: Object = Object::User {
    org: "A",
    team: Some("T1"),
    id: "U2",
    role: Role::Member,
};
const USER_U1: Object = Object::User {
    org: "A",
    team: Some("T1"),
    id: "U1",
    role: Role::Member,
};
const USER_T1_ORG_ADMIN: Object = Object::User {
    org: "A",
    team: Some("T1"),
    id: "U3",
    role: Role::OrgAdmin,
};
const USER_A_NO_TEAM: Object = Object::User {
    org: "A",
    team: None,
    id: "U4",
    role: Role::Member,
};
const USER_B: Object = Object::User {
    org: "B",
    team: Some("TB"),
    id: "UB",
    role: Role::Member,
};
const KEY_T1: Object = Object::Key {
    org: Some("A"),
    team: Some("T1"),
    user: None,
    id: "k1",
    role: Role::Member,
};
const KEY_T1_ORG_ADMIN: Object = Object::Key {
    org: Some("A"),
    team: Some("T1"),
    user: None,
    id: "k2",
    role: Role::OrgAdmin,
};
const KEY_T2: Object = Object::Key {
    org: Some("A"),
    team: Some("T2"),
    user: None,
    id: "k3",
    role: Role::Member,
};
const KEY_OF_U1: Object = Object::Key {
    org: Some("A"),
    team: Some("T2"),
    user: Some("U1"),
    id: "k4",
    role: Role::Member,
};
const KEY_SELF: Object = Object::Key {
    org: Some("A"),
    team: Some("T1"),
    user: Some("U1"),
    id: "k-self",
    role: Role::Member,
};
const KEY_B: Object = Object::Key {
    org: Some("B"),
    team: None,
    user: None,
    id: "kb",
    role: Role::Member,
};
const KEY_NOBODY: Object = Object::Key {
    org: None,
    team: None,
    user: None,
    id: "kn",
    role: Role::Member,
};

#[test]
fn role_action_tenant_table() {
    #[rustfmt::skip]
    let table: Vec<(&str, Actor, Object, Action, Outcome)> = vec![
        // Admins see and change everything, whatever org an admin key names.
        ("master reads org B", master(), ORG_B, Read, OK),
        ("master deletes org B", master(), ORG_B, Write, OK),
        ("master revokes an unowned key", master(), KEY_NOBODY, Write, OK),
        ("admin key changes org A", admin_key(), ORG_A, Write, OK),
        ("admin key revokes B's key", admin_key(), KEY_B, Write, OK),
        // org_admin: its org and everything in it; other orgs are invisible.
        ("org_admin reads own org", org_admin(), ORG_A, Read, OK),
        ("org_admin cannot change own org", org_admin(), ORG_A, Write, DENIED),
        ("org_admin reads org B", org_admin(), ORG_B, Read, HIDDEN),
        ("org_admin writes org B", org_admin(), ORG_B, Write, HIDDEN),
        ("org_admin renames a team", org_admin(), TEAM_T2, Write, OK),
        ("org_admin reads B's team", org_admin(), TEAM_B, Read, HIDDEN),
        ("org_admin edits a member user", org_admin(), USER_T1, Write, OK),
        ("org_admin edits a peer org_admin", org_admin(), USER_T1_ORG_ADMIN, Write, OK),
        ("org_admin reads B's user", org_admin(), USER_B, Read, HIDDEN),
        ("org_admin revokes a key", org_admin(), KEY_T2, Write, OK),
        ("org_admin revokes B's key", org_admin(), KEY_B, Write, HIDDEN),
        ("org_admin reads an unowned key", org_admin(), KEY_NOBODY, Read, HIDDEN),
        // viewer: reads its org, changes nothing.
        ("viewer reads own org", viewer(), ORG_A, Read, OK),
        ("viewer reads a key", viewer(), KEY_T2, Read, OK),
        ("viewer patches a key", viewer(), KEY_T2, Write, DENIED),
        ("viewer patches a team", viewer(), TEAM_T1, Write, DENIED),
        ("viewer reads B's key", viewer(), KEY_B, Read, HIDDEN),
        ("viewer patches B's key", viewer(), KEY_B, Write, HIDDEN),
        // team_admin: its team's users and keys; reads its org and team.
        ("team_admin reads own org", team_admin(), ORG_A, Read, OK),
        ("team_admin changes own org", team_admin(), ORG_A, Write, DENIED),
        ("team_admin reads own team", team_admin(), TEAM_T1, Read, OK),
        ("team_admin renames own team", team_admin(), TEAM_T1, Write, DENIED),
        ("team_admin reads another team", team_admin(), TEAM_T2, Read, HIDDEN),
        ("team_admin edits a team user", team_admin(), USER_T1, Write, OK),
        ("team_admin edits an org_admin user", team_admin(), USER_T1_ORG_ADMIN, Write, DENIED),
        ("team_admin reads an org-level user", team_admin(), USER_A_NO_TEAM, Read, HIDDEN),
        ("team_admin revokes a team key", team_admin(), KEY_T1, Write, OK),
        ("team_admin reads an org_admin key", team_admin(), KEY_T1_ORG_ADMIN, Read, OK),
        ("team_admin revokes an org_admin key", team_admin(), KEY_T1_ORG_ADMIN, Write, DENIED),
        ("team_admin reads another team's key", team_admin(), KEY_T2, Read, HIDDEN),
        ("team_admin reads B's key", team_admin(), KEY_B, Read, HIDDEN),
        // member: its own keys only.
        ("member reads its key", member(), KEY_SELF, Read, OK),
        ("member reads its user's other key", member(), KEY_OF_U1, Read, OK),
        ("member revokes its key", member(), KEY_SELF, Write, DENIED),
        ("member reads a team key", member(), KEY_T1, Read, HIDDEN),
        ("member reads B's key", member(), KEY_B, Read, HIDDEN),
        ("member reads own org", member(), ORG_A, Read, DENIED),
        ("member reads own team", member(), TEAM_T1, Read, DENIED),
        ("member reads own user", member(), USER_U1, Read, DENIED),
        ("member reads a teammate", member(), USER_T1, Read, HIDDEN),
        ("member reads org B", member(), ORG_B, Read, HIDDEN),
    ];
    for (name, actor, object, action, expected) in table {
        assert_eq!(check(&actor, object, action), expected, "{name}");
    }
}

#[test]
fn creating() {
    use NewObject::{Org, Principal, Team};
    let team_a1 = Parent::Team { org: "A", id: "T1" };
    let team_a2 = Parent::Team { org: "A", id: "T2" };
    let team_b = Parent::Team { org: "B", id: "TB" };
    #[rustfmt::skip]
    let table: Vec<(&str, Actor, Parent, NewObject, Outcome)> = vec![
        ("master creates an org", master(), Parent::Gateway, Org, OK),
        ("master mints an admin key", master(), Parent::Gateway, Principal(Role::Admin), OK),
        ("admin key creates a team in A", admin_key(), Parent::Org("A"), Team, OK),
        ("org_admin creates an org", org_admin(), Parent::Gateway, Org, DENIED),
        ("org_admin mints an unowned key", org_admin(), Parent::Gateway, Principal(Role::Member), DENIED),
        ("org_admin creates a team", org_admin(), Parent::Org("A"), Team, OK),
        ("org_admin creates a team in B", org_admin(), Parent::Org("B"), Team, HIDDEN),
        ("org_admin mints a member key", org_admin(), Parent::Org("A"), Principal(Role::Member), OK),
        ("org_admin mints a viewer key", org_admin(), team_a2, Principal(Role::Viewer), OK),
        ("org_admin mints an org_admin key", org_admin(), Parent::Org("A"), Principal(Role::OrgAdmin), OK),
        ("org_admin mints an admin key", org_admin(), Parent::Org("A"), Principal(Role::Admin), DENIED),
        ("org_admin mints in B", org_admin(), Parent::Org("B"), Principal(Role::Member), HIDDEN),
        ("org_admin mints in B's team", org_admin(), team_b, Principal(Role::Member), HIDDEN),
        ("team_admin mints a member key", team_admin(), team_a1, Principal(Role::Member), OK),
        ("team_admin mints a team_admin key", team_admin(), team_a1, Principal(Role::TeamAdmin), OK),
        ("team_admin mints a viewer key", team_admin(), team_a1, Principal(Role::Viewer), DENIED),
        ("team_admin mints an org_admin key", team_admin(), team_a1, Principal(Role::OrgAdmin), DENIED),
        ("team_admin mints at org level", team_admin(), Parent::Org("A"), Principal(Role::Member), DENIED),
        ("team_admin mints in another team", team_admin(), team_a2, Principal(Role::Member), HIDDEN),
        ("team_admin creates a team", team_admin(), Parent::Org("A"), Team, DENIED),
        ("viewer mints a key", viewer(), Parent::Org("A"), Principal(Role::Viewer), DENIED),
        ("viewer mints in B", viewer(), Parent::Org("B"), Principal(Role::Member), HIDDEN),
        ("member mints a key", member(), team_a1, Principal(Role::Member), DENIED),
        ("member mints at the gateway", member(), Parent::Gateway, Principal(Role::Member), DENIED),
    ];
    for (name, actor, parent, new, expected) in table {
        assert_eq!(check_create(&actor, parent, new), expected, "{name}");
    }
}

#[test]
fn granting() {
    use Role::*;
    let all = [Admin, OrgAdmin, TeamAdmin, Member, Viewer];
    let grants = |granter: Role| -> Vec<Role> {
        all.into_iter()
            .filter(|role| may_grant(granter, *role))
            .collect()
    };
    assert_eq!(grants(Admin), all.to_vec());
    assert_eq!(grants(OrgAdmin), vec![OrgAdmin, TeamAdmin, Member, Viewer]);
    assert_eq!(grants(TeamAdmin), vec![TeamAdmin, Member]);
    assert_eq!(grants(Member), vec![]);
    assert_eq!(grants(Viewer), vec![]);
}

#[test]
fn listing() {
    for listing in [Listing::Orgs, Listing::Teams, Listing::Users] {
        assert_eq!(check_list(&member(), listing), DENIED);
        assert_eq!(check_list(&viewer(), listing), OK);
    }
    assert_eq!(check_list(&member(), Listing::Keys), OK);
    assert_eq!(check_list(&member(), Listing::Usage), OK);
    // A member reads the audit of its own keys, as their spend logs.
    assert_eq!(check_list(&member(), Listing::Audit), OK);
    assert_eq!(check_list(&viewer(), Listing::Audit), OK);
}

fn tenant(org: Option<&str>, team: Option<&str>, user: Option<&str>, key: Option<&str>) -> Tenant {
    Tenant {
        org: org.map(str::to_string),
        team: team.map(str::to_string),
        user: user.map(str::to_string),
        key: key.map(str::to_string),
    }
}

#[test]
fn narrowing_forces_the_callers_tenant() {
    let anything = Tenant::default();
    assert_eq!(narrow(&master(), anything.clone()), Some(anything.clone()));
    assert_eq!(
        narrow(&master(), tenant(Some("B"), None, None, None)),
        Some(tenant(Some("B"), None, None, None))
    );
    assert_eq!(
        narrow(&org_admin(), anything.clone()),
        Some(tenant(Some("A"), None, None, None))
    );
    assert_eq!(
        narrow(&viewer(), tenant(None, Some("T2"), None, None)),
        Some(tenant(Some("A"), Some("T2"), None, None))
    );
    assert_eq!(
        narrow(&org_admin(), tenant(Some("B"), None, None, None)),
        None
    );
    assert_eq!(
        narrow(&team_admin(), anything.clone()),
        Some(tenant(Some("A"), Some("T1"), None, None))
    );
    assert_eq!(
        narrow(&team_admin(), tenant(None, Some("T2"), None, None)),
        None
    );
    assert_eq!(
        narrow(&member(), anything.clone()),
        Some(tenant(None, None, Some("U1"), None))
    );
    let keyed_member = actor(Role::Member, Some("A"), None, None);
    assert_eq!(
        narrow(&keyed_member, anything.clone()),
        Some(tenant(None, None, None, Some("k-self")))
    );
    assert_eq!(
        narrow(&keyed_member, tenant(None, None, None, Some("k1"))),
        None
    );
    // A scoped role without its anchor sees nothing.
    let lost = actor(Role::OrgAdmin, None, None, None);
    assert_eq!(narrow(&lost, anything.clone()), None);
    assert_eq!(check(&lost, ORG_A, Read), HIDDEN);
}

#[test]
fn only_admins_reconfigure_their_own_key() {
    let own_team_admin_key = Object::Key {
        org: Some("A"),
        team: Some("T1"),
        user: None,
        id: "k-self",
        role: Role::TeamAdmin,
    };
    assert_eq!(check_update_key(&team_admin(), own_team_admin_key), DENIED);
    assert_eq!(
        check(&team_admin(), own_team_admin_key, Write),
        OK,
        "may still revoke it"
    );
    assert_eq!(check_update_key(&team_admin(), KEY_T1), OK);
    assert_eq!(check_update_key(&org_admin(), KEY_T2), OK);
    assert_eq!(check_update_key(&org_admin(), KEY_B), HIDDEN);
    assert_eq!(check_update_key(&member(), KEY_SELF), DENIED);
    let own_admin_key = Object::Key {
        org: None,
        team: None,
        user: None,
        id: "k-self",
        role: Role::Admin,
    };
    assert_eq!(
        check_update_key(&actor(Role::Admin, None, None, None), own_admin_key),
        OK
    );
}

#[test]
fn credits_are_read_in_the_org_and_recorded_by_admins() {
    let keyless_member = Actor {
        org: None,
        ..member()
    };
    let cases = [
        (master(), "A", OK, OK),
        (admin_key(), "A", OK, OK),
        (org_admin(), "A", OK, DENIED),
        (viewer(), "A", OK, DENIED),
        (team_admin(), "A", OK, DENIED),
        (member(), "A", OK, DENIED),
        (org_admin(), "B", HIDDEN, HIDDEN),
        (viewer(), "B", HIDDEN, HIDDEN),
        (team_admin(), "B", HIDDEN, HIDDEN),
        (member(), "B", HIDDEN, HIDDEN),
        (keyless_member, "A", HIDDEN, HIDDEN),
    ];
    for (actor, org, read, write) in cases {
        assert_eq!(
            check_credits(&actor, org, Read),
            read,
            "{actor:?} reads {org}"
        );
        assert_eq!(
            check_credits(&actor, org, Write),
            write,
            "{actor:?} writes {org}"
        );
    }
}
