//! A path-compressed prefix trie over byte strings: the subscription store of the
//! publish-subscribe sockets (topic → subscribed pipes on PUB/XPUB, topic → count on
//! SUB/XSUB).
//!
//! Each edge carries a byte string, so a topic costs at most two nodes however long
//! it is. Every node but the root holds a value or has at least two children, so
//! removing a topic leaves no dead branches. Matching a message walks only the path
//! spelled by its first frame: its cost is bounded by that frame's length, whatever
//! the number of subscriptions, and it allocates nothing. Nothing recurses, so a
//! deep trie (many nested topics) cannot overflow the stack.

/// What a trie node holds for the key that ends there.
pub(crate) trait Slot: Default {
    /// Whether the slot holds nothing: its key is absent and its node may be pruned.
    fn is_vacant(&self) -> bool;
}

/// A subscription count.
impl Slot for u32 {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

/// Byte-string keys, each with a slot of type `S`.
#[derive(Debug, Default)]
pub(crate) struct PrefixTrie<S> {
    root: Node<S>,
}

#[derive(Debug, Default)]
struct Node<S> {
    slot: S,
    /// Sorted by the first byte of their labels, which are non-empty and distinct.
    children: Vec<Edge<S>>,
}

#[derive(Debug)]
struct Edge<S> {
    label: Box<[u8]>,
    node: Node<S>,
}

impl<S> Node<S> {
    fn search(&self, byte: u8) -> Result<usize, usize> {
        self.children.binary_search_by(|e| e.label[0].cmp(&byte))
    }

    fn child(&self, byte: u8) -> Option<&Edge<S>> {
        self.search(byte).ok().map(|i| &self.children[i])
    }
}

impl<S: Slot> Edge<S> {
    /// Splits the label after `at` bytes (0 < at < len) with a vacant node between.
    fn split(&mut self, at: usize) {
        let tail: Box<[u8]> = self.label[at..].into();
        let head: Box<[u8]> = self.label[..at].into();
        let lower = std::mem::take(&mut self.node);
        self.label = head;
        self.node.children.push(Edge {
            label: tail,
            node: lower,
        });
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl<S: Slot> PrefixTrie<S> {
    /// Whether no key is present.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.root.slot.is_vacant() && self.root.children.is_empty()
    }

    /// The slot of `key`, if present.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<&S> {
        let mut node = &self.root;
        let mut rest = key;
        while let Some(&b) = rest.first() {
            let edge = node.child(b)?;
            rest = rest.strip_prefix(&edge.label[..])?;
            node = &edge.node;
        }
        (!node.slot.is_vacant()).then_some(&node.slot)
    }

    /// Applies `f` to the slot of `key`, adding the key (with a vacant slot) first if
    /// it is absent; the key is removed again if `f` leaves its slot vacant.
    pub(crate) fn upsert<R>(&mut self, key: &[u8], f: impl FnOnce(&mut S) -> R) -> R {
        let mut path = Vec::new();
        let mut node = &mut self.root;
        let mut rest = key;
        while let Some(&b) = rest.first() {
            let i = match node.search(b) {
                Ok(i) => i,
                Err(i) => {
                    node.children.insert(
                        i,
                        Edge {
                            label: rest.into(),
                            node: Node::default(),
                        },
                    );
                    i
                }
            };
            path.push(i);
            let edge = &mut node.children[i];
            let common = common_prefix(&edge.label, rest);
            if common < edge.label.len() {
                edge.split(common);
            }
            rest = &rest[common..];
            node = &mut edge.node;
        }
        let result = f(&mut node.slot);
        self.tidy(&path);
        result
    }

    /// Applies `f` to the slot of `key` if the key is present (`None` otherwise); the
    /// key is removed if `f` leaves its slot vacant.
    pub(crate) fn update<R>(&mut self, key: &[u8], f: impl FnOnce(&mut S) -> R) -> Option<R> {
        let mut path = Vec::new();
        let mut node = &mut self.root;
        let mut rest = key;
        while let Some(&b) = rest.first() {
            let i = node.search(b).ok()?;
            let edge = &mut node.children[i];
            rest = rest.strip_prefix(&edge.label[..])?;
            path.push(i);
            node = &mut edge.node;
        }
        if node.slot.is_vacant() {
            return None;
        }
        let result = f(&mut node.slot);
        self.tidy(&path);
        Some(result)
    }

    /// Restores the invariant (every non-root node holds a value or has two children
    /// or more) after the slot at the end of `path` changed. Only that node and its
    /// parent can have broken it.
    fn tidy(&mut self, path: &[usize]) {
        let Some((&last, above)) = path.split_last() else {
            return;
        };
        if self.tidy_child(above, last) {
            if let Some((&parent, above)) = above.split_last() {
                self.tidy_child(above, parent);
            }
        }
    }

    /// Tidies child `i` of the node at `path`: removes it if vacant and childless,
    /// merges it into its only child if vacant. Returns whether it was removed.
    fn tidy_child(&mut self, path: &[usize], i: usize) -> bool {
        let mut node = &mut self.root;
        for &j in path {
            node = &mut node.children[j].node;
        }
        let edge = &mut node.children[i];
        if !edge.node.slot.is_vacant() {
            return false;
        }
        match edge.node.children.len() {
            0 => {
                node.children.remove(i);
                true
            }
            1 => {
                let only = edge.node.children.pop().expect("one child");
                let mut label = Vec::with_capacity(edge.label.len() + only.label.len());
                label.extend_from_slice(&edge.label);
                label.extend_from_slice(&only.label);
                edge.label = label.into_boxed_slice();
                edge.node = only.node;
                false
            }
            _ => false,
        }
    }

    /// Calls `f` with the slot of every present key that is a prefix of `data`
    /// (the empty key first, then by increasing length).
    pub(crate) fn for_each_prefix_of(&self, data: &[u8], mut f: impl FnMut(&S)) {
        let mut node = &self.root;
        let mut rest = data;
        loop {
            if !node.slot.is_vacant() {
                f(&node.slot);
            }
            let Some(&b) = rest.first() else { return };
            let Some(edge) = node.child(b) else { return };
            let Some(after) = rest.strip_prefix(&edge.label[..]) else {
                return;
            };
            rest = after;
            node = &edge.node;
        }
    }

    /// Whether the empty key is present: a prefix of every input.
    #[inline]
    pub(crate) fn has_empty_key(&self) -> bool {
        !self.root.slot.is_vacant()
    }

    /// Whether some present key is a prefix of `data`.
    pub(crate) fn has_prefix_of(&self, data: &[u8]) -> bool {
        let mut node = &self.root;
        let mut rest = data;
        loop {
            if !node.slot.is_vacant() {
                return true;
            }
            let Some(&b) = rest.first() else {
                return false;
            };
            let Some(edge) = node.child(b) else {
                return false;
            };
            let Some(after) = rest.strip_prefix(&edge.label[..]) else {
                return false;
            };
            rest = after;
            node = &edge.node;
        }
    }

    /// Calls `f` with every present key and its slot, in lexicographic key order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[u8], &S)) {
        if !self.root.slot.is_vacant() {
            f(&[], &self.root.slot);
        }
        let mut key = Vec::new();
        // Edges still to visit, each with the key length of its parent.
        let mut stack: Vec<(&Edge<S>, usize)> =
            self.root.children.iter().rev().map(|e| (e, 0)).collect();
        while let Some((edge, parent_len)) = stack.pop() {
            key.truncate(parent_len);
            key.extend_from_slice(&edge.label);
            if !edge.node.slot.is_vacant() {
                f(&key, &edge.node.slot);
            }
            let len = key.len();
            stack.extend(edge.node.children.iter().rev().map(|e| (e, len)));
        }
    }

    /// Checks the structural invariants (tests only).
    #[cfg(test)]
    fn check(&self) {
        fn check_node<S: Slot>(node: &Node<S>, is_root: bool) {
            if !is_root {
                assert!(
                    !node.slot.is_vacant() || node.children.len() >= 2,
                    "dead node left in the trie"
                );
            }
            for pair in node.children.windows(2) {
                assert!(pair[0].label[0] < pair[1].label[0], "children out of order");
            }
            for e in &node.children {
                assert!(!e.label.is_empty());
                check_node(&e.node, false);
            }
        }
        check_node(&self.root, true);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn add(t: &mut PrefixTrie<u32>, key: &[u8]) -> u32 {
        t.upsert(key, |c| {
            *c += 1;
            *c
        })
    }

    fn remove(t: &mut PrefixTrie<u32>, key: &[u8]) -> Option<u32> {
        t.update(key, |c| {
            *c -= 1;
            *c
        })
    }

    fn prefixes(t: &PrefixTrie<u32>, data: &[u8]) -> Vec<u32> {
        let mut v = Vec::new();
        t.for_each_prefix_of(data, |c| v.push(*c));
        v
    }

    #[test]
    fn splits_and_merges_edges() {
        let mut t = PrefixTrie::default();
        assert!(t.is_empty());
        add(&mut t, b"abcd");
        add(&mut t, b"abxy");
        add(&mut t, b"ab");
        add(&mut t, b"");
        t.check();
        assert_eq!(prefixes(&t, b"abcdef"), [1, 1, 1]);
        assert_eq!(prefixes(&t, b"abc"), [1, 1]);
        assert_eq!(prefixes(&t, b"a"), [1]);
        assert_eq!(remove(&mut t, b"ab"), Some(0));
        t.check();
        assert_eq!(t.get(b"ab"), None);
        assert_eq!(remove(&mut t, b"ab"), None);
        assert_eq!(remove(&mut t, b"abc"), None);
        assert_eq!(remove(&mut t, b"abxy"), Some(0));
        t.check();
        assert_eq!(t.get(b"abcd"), Some(&1));
        assert_eq!(remove(&mut t, b""), Some(0));
        assert_eq!(remove(&mut t, b"abcd"), Some(0));
        t.check();
        assert!(t.is_empty());
    }

    #[test]
    fn binary_keys_and_counts() {
        let mut t = PrefixTrie::default();
        add(&mut t, b"\x00\xff");
        add(&mut t, b"\x00\xff");
        add(&mut t, b"\xff");
        assert!(t.has_prefix_of(b"\x00\xff\x00"));
        assert!(!t.has_prefix_of(b"\x00\xfe"));
        assert!(!t.has_prefix_of(b"\x00"));
        assert!(t.has_prefix_of(b"\xff\xff"));
        assert_eq!(remove(&mut t, b"\x00\xff"), Some(1));
        assert!(t.has_prefix_of(b"\x00\xff"));
        assert_eq!(remove(&mut t, b"\x00\xff"), Some(0));
        assert!(!t.has_prefix_of(b"\x00\xff"));
        let mut keys = Vec::new();
        t.for_each(|k, _| keys.push(k.to_vec()));
        assert_eq!(keys, [b"\xff".to_vec()]);
    }

    #[test]
    fn nested_topics() {
        let mut t = PrefixTrie::default();
        let key = vec![b'a'; 2_000];
        for n in 1..=key.len() {
            add(&mut t, &key[..n]);
        }
        let mut n = 0;
        t.for_each(|_, _| n += 1);
        assert_eq!(n, key.len());
        assert_eq!(prefixes(&t, &key).len(), key.len());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(Vec<u8>),
        Remove(Vec<u8>),
        Match(Vec<u8>),
    }

    fn key() -> impl Strategy<Value = Vec<u8>> {
        // A small alphabet so that keys share prefixes and split edges.
        prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 0xff]), 0..6)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => key().prop_map(Op::Add),
            2 => key().prop_map(Op::Remove),
            2 => key().prop_map(Op::Match),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_map_of_counts(ops in prop::collection::vec(op(), 1..80)) {
            let mut trie = PrefixTrie::default();
            let mut model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Add(k) => {
                        let n = model.entry(k.clone()).or_insert(0);
                        *n += 1;
                        prop_assert_eq!(add(&mut trie, &k), *n);
                    }
                    Op::Remove(k) => {
                        let expected = model.get_mut(&k).map(|n| {
                            *n -= 1;
                            *n
                        });
                        if expected == Some(0) {
                            model.remove(&k);
                        }
                        prop_assert_eq!(remove(&mut trie, &k), expected);
                    }
                    Op::Match(data) => {
                        let expected: Vec<u32> = model
                            .iter()
                            .filter(|(k, _)| data.starts_with(k))
                            .map(|(_, n)| *n)
                            .collect();
                        prop_assert_eq!(prefixes(&trie, &data), expected.clone());
                        prop_assert_eq!(trie.has_prefix_of(&data), !expected.is_empty());
                    }
                }
                trie.check();
                let mut listed = Vec::new();
                trie.for_each(|k, n| listed.push((k.to_vec(), *n)));
                let modelled: Vec<(Vec<u8>, u32)> =
                    model.iter().map(|(k, n)| (k.clone(), *n)).collect();
                prop_assert_eq!(listed, modelled);
                prop_assert_eq!(trie.is_empty(), model.is_empty());
            }
        }
    }
}
