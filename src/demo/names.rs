//! Name, street and company pools for the demo data: Slovak, Czech, Hungarian and English,
//! with their diacritics.

/// One language's pools. Surnames come in male and female forms where the language has them.
pub struct Pools {
    pub country: &'static str,
    pub currency: &'static str,
    pub phone_prefix: &'static str,
    pub vat_prefix: &'static str,
    pub male_first: &'static [&'static str],
    pub female_first: &'static [&'static str],
    /// (male form, female form).
    pub surnames: &'static [(&'static str, &'static str)],
    pub cities: &'static [(&'static str, &'static str)],
    pub streets: &'static [&'static str],
    pub company_suffix: &'static str,
    pub email_domain: &'static str,
}

pub const SLOVAK: Pools = Pools {
    country: "SK",
    currency: "EUR",
    phone_prefix: "+421 9",
    vat_prefix: "SK",
    male_first: &["Ján", "Peter", "Martin", "Jozef", "Michal", "Tomáš", "Lukáš", "Marek", "Juraj", "Ľubomír", "Štefan", "Dušan", "Matúš", "Ondrej", "Pavol", "Vladimír", "Igor", "Miroslav", "Rastislav", "Branislav"],
    female_first: &["Mária", "Anna", "Katarína", "Zuzana", "Jana", "Lucia", "Eva", "Ľubica", "Veronika", "Martina", "Monika", "Simona", "Dominika", "Soňa", "Alžbeta", "Božena", "Iveta", "Žaneta", "Andrea", "Petra"],
    surnames: &[("Horváth", "Horváthová"), ("Kováč", "Kováčová"), ("Varga", "Vargová"), ("Tóth", "Tóthová"), ("Nagy", "Nagyová"), ("Baláž", "Balážová"), ("Szabó", "Szabóová"), ("Molnár", "Molnárová"), ("Lukáč", "Lukáčová"), ("Čierny", "Čierna"), ("Šimko", "Šimková"), ("Kollár", "Kollárová"), ("Hudák", "Hudáková"), ("Oravec", "Oravcová"), ("Štefánik", "Štefániková"), ("Ďurica", "Ďuricová"), ("Bielik", "Bieliková"), ("Krajčí", "Krajčíová"), ("Gašpar", "Gašparová"), ("Mihálik", "Miháliková"), ("Žiak", "Žiaková"), ("Polák", "Poláková"), ("Hraško", "Hrašková"), ("Ševčík", "Ševčíková"), ("Pavlík", "Pavlíková"), ("Kučera", "Kučerová"), ("Sloboda", "Slobodová"), ("Záhradník", "Záhradníková"), ("Ľupták", "Ľuptáková"), ("Šťastný", "Šťastná")],
    cities: &[("Bratislava", "811 01"), ("Košice", "040 01"), ("Prešov", "080 01"), ("Žilina", "010 01"), ("Nitra", "949 01"), ("Banská Bystrica", "974 01"), ("Trnava", "917 01"), ("Trenčín", "911 01"), ("Martin", "036 01"), ("Poprad", "058 01")],
    streets: &["Hlavná", "Štúrova", "Kollárova", "Nám. SNP", "Mierová", "Hviezdoslavova", "Záhradnícka", "Obchodná", "Bajkalská", "Ružová dolina"],
    company_suffix: "s.r.o.",
    email_domain: "example.sk",
};

pub const CZECH: Pools = Pools {
    country: "CZ",
    currency: "CZK",
    phone_prefix: "+420 7",
    vat_prefix: "CZ",
    male_first: &["Jiří", "Jan", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav", "Zdeněk", "Václav", "Michal", "František", "Jakub", "Lukáš", "Radek", "Vojtěch", "Ondřej", "Matěj", "Přemysl"],
    female_first: &["Marie", "Jana", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Věra", "Lucie", "Alena", "Petra", "Jaroslava", "Tereza", "Zdeňka", "Markéta", "Barbora", "Božena", "Dagmar", "Růžena", "Šárka"],
    surnames: &[("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"), ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"), ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"), ("Marek", "Marková"), ("Pospíšil", "Pospíšilová"), ("Pokorný", "Pokorná"), ("Hájek", "Hájková"), ("Král", "Králová"), ("Jelínek", "Jelínková"), ("Růžička", "Růžičková"), ("Beneš", "Benešová"), ("Fiala", "Fialová"), ("Sedláček", "Sedláčková"), ("Doležal", "Doležalová"), ("Zeman", "Zemanová"), ("Kolář", "Kolářová"), ("Navrátil", "Navrátilová"), ("Čermák", "Čermáková"), ("Vaněk", "Vaňková"), ("Urban", "Urbanová"), ("Blažek", "Blažková"), ("Kříž", "Křížová"), ("Čapek", "Čapková")],
    cities: &[("Praha", "110 00"), ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00"), ("Liberec", "460 01"), ("Olomouc", "779 00"), ("České Budějovice", "370 01"), ("Hradec Králové", "500 02"), ("Ústí nad Labem", "400 01"), ("Pardubice", "530 02")],
    streets: &["Václavské náměstí", "Národní", "Masarykova", "Palackého", "Husova", "Žižkova", "Komenského", "Nádražní", "Husitská", "Karlova"],
    company_suffix: "s.r.o.",
    email_domain: "example.cz",
};

pub const HUNGARIAN: Pools = Pools {
    country: "HU",
    currency: "HUF",
    phone_prefix: "+36 30",
    vat_prefix: "HU",
    male_first: &["László", "István", "József", "János", "Zoltán", "Sándor", "Gábor", "Ferenc", "Attila", "Péter", "Tamás", "Zsolt", "Győző", "Ödön", "Árpád", "Bálint", "Csaba", "Dénes", "Lőrinc", "Miklós"],
    female_first: &["Mária", "Erzsébet", "Katalin", "Éva", "Ilona", "Anna", "Zsuzsanna", "Margit", "Judit", "Ágnes", "Andrea", "Erika", "Krisztina", "Tünde", "Csilla", "Enikő", "Ildikó", "Réka", "Zsófia", "Írisz"],
    surnames: &[("Nagy", "Nagy"), ("Kovács", "Kovács"), ("Tóth", "Tóth"), ("Szabó", "Szabó"), ("Horváth", "Horváth"), ("Varga", "Varga"), ("Kiss", "Kiss"), ("Molnár", "Molnár"), ("Németh", "Németh"), ("Farkas", "Farkas"), ("Balogh", "Balogh"), ("Papp", "Papp"), ("Takács", "Takács"), ("Juhász", "Juhász"), ("Lakatos", "Lakatos"), ("Mészáros", "Mészáros"), ("Oláh", "Oláh"), ("Simon", "Simon"), ("Rácz", "Rácz"), ("Fekete", "Fekete"), ("Szilágyi", "Szilágyi"), ("Török", "Török"), ("Fehér", "Fehér"), ("Balázs", "Balázs"), ("Gál", "Gál"), ("Kis", "Kis"), ("Szűcs", "Szűcs"), ("Kocsis", "Kocsis"), ("Ördög", "Ördög"), ("Pintér", "Pintér")],
    cities: &[("Budapest", "1011"), ("Debrecen", "4024"), ("Szeged", "6720"), ("Miskolc", "3525"), ("Pécs", "7621"), ("Győr", "9021"), ("Nyíregyháza", "4400"), ("Kecskemét", "6000"), ("Székesfehérvár", "8000"), ("Szombathely", "9700")],
    streets: &["Kossuth Lajos utca", "Petőfi Sándor utca", "Rákóczi út", "Andrássy út", "Dózsa György út", "Széchenyi tér", "Bajcsy-Zsilinszky út", "Váci utca", "Árpád fejedelem útja", "Fő utca"],
    company_suffix: "Kft.",
    email_domain: "example.hu",
};

pub const ENGLISH: Pools = Pools {
    country: "GB",
    currency: "GBP",
    phone_prefix: "+44 7",
    vat_prefix: "GB",
    male_first: &["James", "John", "Robert", "Michael", "William", "David", "Richard", "Thomas", "Charles", "Daniel", "Matthew", "George", "Oliver", "Harry", "Jack", "Noah", "Leo", "Arthur", "Henry", "Samuel"],
    female_first: &["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Emily", "Olivia", "Amelia", "Isla", "Ava", "Grace", "Sophie", "Chloë", "Zoë", "Renée"],
    surnames: &[("Smith", "Smith"), ("Jones", "Jones"), ("Williams", "Williams"), ("Taylor", "Taylor"), ("Brown", "Brown"), ("Davies", "Davies"), ("Evans", "Evans"), ("Wilson", "Wilson"), ("Thomas", "Thomas"), ("Johnson", "Johnson"), ("Roberts", "Roberts"), ("Robinson", "Robinson"), ("Thompson", "Thompson"), ("Wright", "Wright"), ("Walker", "Walker"), ("White", "White"), ("Edwards", "Edwards"), ("Hughes", "Hughes"), ("Green", "Green"), ("Hall", "Hall"), ("Lewis", "Lewis"), ("Harris", "Harris"), ("Clarke", "Clarke"), ("Patel", "Patel"), ("Jackson", "Jackson"), ("Wood", "Wood"), ("Turner", "Turner"), ("Martin", "Martin"), ("Cooper", "Cooper"), ("Hill", "Hill")],
    cities: &[("London", "SW1A 1AA"), ("Manchester", "M1 1AE"), ("Birmingham", "B1 1AA"), ("Leeds", "LS1 1UR"), ("Glasgow", "G1 1XQ"), ("Bristol", "BS1 4DJ"), ("Liverpool", "L1 8JQ"), ("Edinburgh", "EH1 1YZ"), ("Cardiff", "CF10 1EP"), ("Belfast", "BT1 5GS")],
    streets: &["High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane", "Manor Road", "Park Avenue", "Queen Street", "Mill Lane", "King's Road"],
    company_suffix: "Ltd",
    email_domain: "example.co.uk",
};

/// The languages, each with its share of customers in percent.
pub const LANGUAGES: [(&Pools, u32); 4] = [(&SLOVAK, 40), (&CZECH, 30), (&HUNGARIAN, 15), (&ENGLISH, 15)];

/// Words for company names.
pub const COMPANY_WORDS: &[&str] = &[
    "Agro", "Stav", "Tech", "Trans", "Market", "Servis", "Elektro", "Drevo", "Pekáreň", "Kvet",
    "Obchod", "Auto", "Gastro", "Textil", "Print", "Soft", "Data", "Bio", "Eko", "Med",
];

/// Notes a shop writes about a customer.
pub const NOTES: &[&str] = &[
    "Prefers e-mail contact",
    "VIP – birthday voucher every year",
    "Pays by invoice, 14 days",
    "Allergic to nuts (café)",
    "Wholesale price list",
    "Called about a complaint, resolved",
    "Nemá rád telefonáty",
    "Zákazník od roku 2012",
    "Törzsvásárló",
    "Delivery only after 16:00",
];
