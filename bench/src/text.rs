//! Text of the generated help desk: French and English subjects, descriptions
//! and messages with accents and emoji, user names, and the words the search
//! scenarios look for.

use rand::Rng;
use rand::seq::SliceRandom;

/// A word found in about one ticket in six (French tickets about orders).
pub const COMMON_WORD: &str = "commande";
/// Two words searched together (`paiement & refusé:*`).
pub const TWO_WORDS: &str = "paiement refusé";
/// A prefix searched alone (`rembour:*`: remboursement, rembourser, remboursé...).
pub const PREFIX: &str = "rembour";
/// Number of product names; each ticket names one, so each name is in about
/// 1 ticket in [`PRODUCTS`]: the rare word.
pub const PRODUCTS: usize = 2_000;
/// Index of the product searched as the rare word.
pub const RARE_PRODUCT: usize = 137;

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "zé", "ra", "tu", "vo", "ni", "bé", "sa", "to", "ly", "dor", "fen", "gal", "mar", "quin", "rho",
    "sil", "tan", "vel", "wyn", "xar", "zor",
];

/// Product name `index` (0..[`PRODUCTS`]), the same for every seed, e.g. "zétanvel":
/// three syllables, the index spread over all 13,824 combinations so names stay distinct.
pub fn product(index: usize) -> String {
    let count = SYLLABLES.len();
    let mut code = (index * 7_919) % (count * count * count);
    let mut name = String::new();
    for _ in 0..3 {
        name.push_str(SYLLABLES[code % count]);
        code /= count;
    }
    name
}

const FIRST_NAMES: [&str; 40] = [
    "camille", "louis", "chloe", "lucas", "emma", "hugo", "lea", "jules", "manon", "gabriel", "ines", "arthur",
    "sarah", "nathan", "julie", "thomas", "amelie", "noah", "clara", "adam", "olivia", "liam", "sophie", "ethan",
    "grace", "oscar", "alice", "leo", "zoe", "paul", "anna", "victor", "elise", "samuel", "mia", "felix", "nora",
    "theo", "ruby", "maxime",
];
const LAST_NAMES: [&str; 40] = [
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau", "simon",
    "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent", "fournier", "smith", "jones",
    "taylor", "brown", "williams", "wilson", "johnson", "davies", "evans", "walker", "wright", "thompson", "white",
    "hughes", "edwards", "green", "hall", "wood", "harris", "clarke",
];

/// Username of generated requester `index` (0-based), e.g. `chloe.dubois.00042`.
pub fn requester_username(index: usize) -> String {
    format!("{}.{}.{index:05}", FIRST_NAMES[index % 40], LAST_NAMES[(index / 40 + index * 7) % 40])
}

/// Username of generated agent `index` (0-based), e.g. `agent.hugo.07`.
pub fn agent_username(index: usize) -> String {
    format!("agent.{}.{index:02}", FIRST_NAMES[(index * 3) % 40])
}

/// Username of the generated admin.
pub const ADMIN_USERNAME: &str = "bench.admin";
/// Password of every generated account.
pub const PASSWORD: &str = "guichet-bench-password";

const SUBJECTS_FR: [&str; 12] = [
    "Commande {n} non livrée",
    "Demande de remboursement pour la commande {n}",
    "Impossible de me connecter à mon compte",
    "Paiement refusé avec ma carte bancaire",
    "L'application plante à l'ouverture des paramètres",
    "Question sur ma facture {n}",
    "Article erroné reçu dans le colis {n}",
    "Le VPN se déconnecte toutes les cinq minutes",
    "Je ne reçois pas l'e-mail de réinitialisation",
    "Candidature au poste de développeur·se",
    "Remboursement toujours pas reçu",
    "Problème de livraison à Besançon",
];
const SUBJECTS_EN: [&str; 12] = [
    "Order {n} not delivered",
    "Refund request for order {n}",
    "Cannot log in to my account",
    "Card payment declined at checkout",
    "App crashes when I open the settings",
    "Question about invoice {n}",
    "Wrong item received in parcel {n}",
    "VPN disconnects every few minutes",
    "Password reset email never arrives",
    "Application for the support engineer position",
    "Still waiting for my refund",
    "Delivery problem in Zürich",
];
const SENTENCES_FR: [&str; 14] = [
    "Bonjour, j'ai passé une commande il y a une semaine et je n'ai toujours rien reçu.",
    "Le suivi indique « livré » mais le colis n'est pas arrivé.",
    "Mon paiement a été refusé alors que ma carte fonctionne ailleurs.",
    "Pouvez-vous m'indiquer quand le remboursement sera effectué ?",
    "J'ai essayé de réinitialiser mon mot de passe sans succès.",
    "L'écran reste bloqué sur le chargement après la mise à jour.",
    "Merci de vérifier ma facture, le montant me semble erroné.",
    "C'est assez urgent, je pars en déplacement vendredi.",
    "J'ai déjà contacté le service client par téléphone.",
    "Voici la capture d'écran de l'erreur affichée.",
    "Je souhaite être remboursé intégralement.",
    "Le problème se produit aussi sur mon téléphone.",
    "Ça marchait très bien jusqu'à hier soir.",
    "Bonne journée et merci d'avance !",
];
const SENTENCES_EN: [&str; 14] = [
    "Hi, I placed an order last week and nothing has arrived yet.",
    "Tracking says delivered but the parcel is not here.",
    "My card was declined although it works everywhere else.",
    "Could you tell me when the refund will be processed?",
    "I tried to reset my password without success.",
    "The screen stays stuck on loading since the update.",
    "Please check my invoice, the amount looks wrong.",
    "This is rather urgent, I am travelling on Friday.",
    "I already called customer service about this.",
    "Here is a screenshot of the error message.",
    "I would like a full refund please.",
    "The problem also happens on my phone.",
    "It worked fine until last night.",
    "Thanks in advance and have a nice day!",
];
const REPLIES_AGENT_FR: [&str; 8] = [
    "Bonjour, merci pour votre message. Nous regardons cela tout de suite 🙂",
    "Pourriez-vous nous envoyer une capture d'écran de l'erreur ?",
    "Nous avons relancé le transporteur, vous aurez des nouvelles sous 48 h.",
    "Le remboursement a été effectué, comptez 3 à 5 jours ouvrés.",
    "Votre compte est débloqué, vous pouvez vous reconnecter.",
    "Nous avons identifié le problème, un correctif arrive cette semaine.",
    "Pouvez-vous confirmer l'adresse de livraison ?",
    "Je transmets à l'équipe technique et je reviens vers vous.",
];
const REPLIES_AGENT_EN: [&str; 8] = [
    "Hello, thanks for reaching out. We are looking into it right away 🙂",
    "Could you send us a screenshot of the error?",
    "We chased the carrier, you will hear back within 48 hours.",
    "The refund has been issued, allow 3 to 5 business days.",
    "Your account is unlocked, you can log in again.",
    "We found the cause, a fix ships this week.",
    "Can you confirm the delivery address?",
    "I am passing this to the technical team and will get back to you.",
];
const REPLIES_REQUESTER: [&str; 10] = [
    "Toujours pas de nouvelles… 😕",
    "Merci beaucoup, ça fonctionne maintenant ! 🎉",
    "Voici la capture demandée.",
    "L'adresse est correcte, 12 rue de l'Église.",
    "D'accord, j'attends votre retour.",
    "Still nothing on my side 😕",
    "Thanks a lot, it works now! 🎉",
    "Here is the screenshot you asked for.",
    "The address is right, 221B Baker Street.",
    "OK, waiting for your answer.",
];
const NOTES: [&str; 8] = [
    "Client fidèle, traiter en priorité.",
    "Vérifié les journaux : délai dépassé côté passerelle de paiement.",
    "Doublon probable avec un autre ticket, à fusionner.",
    "Attente du retour du transporteur (réf. interne).",
    "Checked the logs: timeout at the payment gateway.",
    "Probably a duplicate, see the other ticket from this customer.",
    "Escalating to billing if no answer by Monday.",
    "VIP customer ⭐ handle with care.",
];
const EMOJI: [&str; 8] = ["🙏", "😡", "🚚", "💳", "😕", "🔥", "📦", "✅"];
/// Reasons given when a ticket is escalated.
pub const ESCALATION_REASONS: [&str; 4] = [
    "Client mécontent, demande un responsable",
    "Needs a developer: reproducible crash",
    "Montant du remboursement supérieur au seuil",
    "Security concern reported by the customer",
];

/// A subject and description in French or English naming one product.
pub fn ticket_text(rng: &mut impl Rng, french: bool, product_index: usize) -> (String, String) {
    let number = rng.gen_range(10_000..99_999);
    let template = if french { SUBJECTS_FR.choose(rng) } else { SUBJECTS_EN.choose(rng) }.expect("non-empty");
    let mut subject = template.replace("{n}", &number.to_string());
    if rng.gen_bool(0.2) {
        subject.push(' ');
        subject.push_str(EMOJI.choose(rng).expect("non-empty"));
    }
    let sentences = if french { &SENTENCES_FR } else { &SENTENCES_EN };
    let count = rng.gen_range(2..=4);
    let mut description = String::new();
    for _ in 0..count {
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(sentences.choose(rng).expect("non-empty"));
    }
    let label = if french { "Produit" } else { "Product" };
    description.push_str(&format!("\n\n{label} : {} — réf. {number}", product(product_index)));
    (subject, description)
}

/// The body of an agent's reply, a requester's reply or an internal note.
pub fn message_text(rng: &mut impl Rng, french: bool, by_agent: bool, note: bool) -> String {
    let pool: &[&str] = match (note, by_agent, french) {
        (true, _, _) => &NOTES,
        (false, true, true) => &REPLIES_AGENT_FR,
        (false, true, false) => &REPLIES_AGENT_EN,
        (false, false, _) => &REPLIES_REQUESTER,
    };
    pool.choose(rng).expect("non-empty").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_distinct_and_usernames_stable() {
        let names: std::collections::HashSet<String> = (0..PRODUCTS).map(product).collect();
        assert_eq!(names.len(), PRODUCTS);
        assert_eq!(requester_username(0), requester_username(0));
        assert_ne!(requester_username(1), requester_username(41));
    }
}
