// The fixed material the demo organisation is drawn from: countries with their headcount and
// sites, names, org units, events and stories. Only `DemoGenerator` reads it.

/// A country of the demo workforce.
struct DemoCountry: Sendable {
    /// ISO 3166-1 alpha-2.
    var code: String
    /// Employees at scale 1.0.
    var headcount: Int
    /// Sites (cities), the largest first.
    var sites: [String]
    var names: NamePool
    /// Share of the country's eligible men who sign, before calibration (the four leaders' rates are
    /// ``DemoData/leaderRates``; the others are scaled together to the drive's total).
    var baseRate: Double
}

/// First and last names of a region.
struct NamePool: Sendable {
    var male: [String]
    var female: [String]
    var last: [String]

    init(male: String, female: String, last: String) {
        self.male = male.split(separator: " ").map { $0.replacingOccurrences(of: "_", with: " ") }
        self.female = female.split(separator: " ").map { $0.replacingOccurrences(of: "_", with: " ") }
        self.last = last.split(separator: " ").map { $0.replacingOccurrences(of: "_", with: " ") }
    }
}

enum DemoData {
    // MARK: - Names

    static let indian = NamePool(
        male: "Aarav Arjun Rohan Vikram Rahul Amit Sanjay Karthik Suresh Rajesh Anil Pranav Vivek Manoj Harish Deepak",
        female: "Priya Ananya Kavya Sneha Pooja Divya Lakshmi Meera Neha Shreya Anjali Ritu",
        last: "Sharma Patel Iyer Reddy Nair Gupta Singh Kumar Rao Menon Joshi Desai Mehta Pillai Chatterjee Verma")
    static let brazilian = NamePool(
        male: "João Pedro Lucas Gabriel Rafael Thiago Bruno Felipe Gustavo Rodrigo Marcelo André Paulo Carlos",
        female: "Ana Beatriz Juliana Fernanda Camila Larissa Mariana Patrícia Letícia Renata",
        last: "Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Nascimento Lima Araújo Ferreira Carvalho Gomes")
    static let french = NamePool(
        male: "Jean Pierre Nicolas Thomas Julien Antoine Mathieu Olivier Laurent Sébastien François Guillaume Hugo Rémi",
        female: "Claire Sophie Camille Julie Émilie Isabelle Nathalie Céline Amélie Hélène Chloé",
        last: "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel Garcia Fournier")
    static let english = NamePool(
        male: "James John Michael David Robert William Daniel Matthew Christopher Andrew Ryan Kevin Brian Tyler",
        female: "Mary Jennifer Sarah Jessica Emily Laura Rachel Megan Olivia Hannah Grace",
        last: "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson White Harris Clark Lewis")
    static let german = NamePool(
        male: "Lukas Jonas Felix Maximilian Stefan Andreas Tobias Michael Florian Markus Jan Matthias",
        female: "Anna Lena Julia Katharina Laura Sabine Petra Hannah Sophie Miriam",
        last: "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Wolf")
    static let chinese = NamePool(
        male: "Wei Jun Hao Lei Qiang Ming Tao Yong Jie Peng Bin Chao",
        female: "Fang Li Jing Xiu Ying Hui Yan Na Min Xin",
        last: "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Ma Zhu")
    static let spanish = NamePool(
        male: "Alejandro Carlos José Luis Javier Miguel Diego Andrés Pablo Sergio Fernando Jorge Raúl Mateo",
        female: "María Lucía Carmen Laura Sofía Valentina Isabel Paula Elena Gabriela",
        last: "García Rodríguez Martínez López Hernández González Pérez Sánchez Ramírez Torres Flores Díaz Morales Ortiz")
    static let italian = NamePool(
        male: "Marco Luca Giuseppe Alessandro Andrea Matteo Francesco Davide Stefano Paolo",
        female: "Giulia Francesca Chiara Sara Elena Valentina Martina Alessia",
        last: "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo")
    static let japanese = NamePool(
        male: "Hiroshi Takeshi Kenji Yuki Daisuke Haruto Sota Ryo Kazuki Shota",
        female: "Yui Sakura Aoi Haruka Misaki Naoko Emi Yoko",
        last: "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato")
    static let korean = NamePool(
        male: "Min-jun Seo-jun Ji-ho Hyun-woo Jae-won Dong-hyun Sung-min",
        female: "Ji-woo Seo-yeon Min-seo Ha-eun Soo-jin",
        last: "Kim Lee Park Choi Jung Kang Cho Yoon")
    static let arabic = NamePool(
        male: "Mohammed Ahmed Omar Youssef Khalid Hassan Ali Karim Tarek Samir Nabil Hamza",
        female: "Fatima Layla Nour Mariam Salma Yasmine Amira Hana",
        last: "Al-Masri Haddad Mansour Khalil Nasser Farouk Saleh Aziz Hamdan Bakr Zaki Rahman")
    static let slavic = NamePool(
        male: "Piotr Tomasz Jakub Pavel Dmitri Andrei Marek Ivan Nikolai Ondřej Mihai Bogdan",
        female: "Anna Katarzyna Olga Elena Natalia Ewa Irina Maria Petra",
        last: "Nowak Kowalski Ivanov Petrov Novák Horváth Popescu Kovač Wiśniewski Smirnov Dvořák Marinov")
    static let nordic = NamePool(
        male: "Erik Lars Anders Johan Mikael Henrik Olav Jonas Mats Niklas",
        female: "Ingrid Astrid Maja Elin Sara Karin Linnea Sofie",
        last: "Johansson Andersson Nielsen Hansen Larsen Karlsson Virtanen Berg Lindqvist Olsen")
    static let dutch = NamePool(
        male: "Daan Sem Thijs Bram Pieter Joost Wouter Maarten Luc Koen",
        female: "Emma Sanne Lotte Fleur Eva Anouk Marieke",
        last: "de Jong Jansen de Vries van den Berg Bakker Visser Peeters Janssens Maes Smit")
    static let southeastAsian = NamePool(
        male: "Budi Agus Rizal Nguyen_Van Tran_Minh Somchai Anan Jose Mark Ahmad Farid Wei_Jie",
        female: "Siti Dewi Linh Mai Ploy Maria Nurul Aisha",
        last: "Santoso Wijaya Nguyen Tran Le Pham Srisuk Chaiyaporn Reyes Cruz Tan Lim Abdullah")
    static let african = NamePool(
        male: "Thabo Sipho Kwame Chinedu Oluwaseun Tunde David Peter Kofi Musa Juma Bongani",
        female: "Ama Ngozi Zanele Amina Wanjiru Thandiwe Chiamaka Nomvula",
        last: "Nkosi Dlamini Okafor Adeyemi Mensah Osei Mwangi Otieno Naidoo Botha Abubakar Diallo")
    static let turkish = NamePool(
        male: "Mehmet Mustafa Ahmet Emre Burak Can Murat Kerem",
        female: "Ayşe Elif Zeynep Fatma Merve Selin",
        last: "Yılmaz Kaya Demir Şahin Çelik Yıldız Aydın Öztürk")
    static let hebrew = NamePool(
        male: "Noam Itai Yonatan Daniel Amit Eitan Omer", female: "Noa Tamar Shira Maya Yael",
        last: "Cohen Levi Mizrahi Peretz Biton Friedman Avraham")
    static let greek = NamePool(
        male: "Giorgos Nikos Dimitris Kostas Yannis Christos", female: "Maria Eleni Katerina Sofia Anna",
        last: "Papadopoulos Georgiou Nikolaou Ioannou Konstantinou Christodoulou")
    static let southAsian = NamePool(
        male: "Ali Usman Bilal Hassan Tanvir Rafiq Nuwan Kasun Imran", female: "Ayesha Sana Nadia Farhana Dilini",
        last: "Khan Ahmed Hussain Rahman Chowdhury Perera Fernando Silva Malik")

    // MARK: - Countries

    /// The four countries that lead the drive, as in 2015.
    static let leaders: [String] = ["IN", "BR", "US", "FR"]

    /// Participation of the leaders' eligible men (fixed: they lead by construction). A quarter to a
    /// third of their men have signed: the leaders are ahead of the rest, not done.
    static let leaderRates: [String: Double] = ["IN": 0.31, "BR": 0.34, "US": 0.28, "FR": 0.29]

    /// Other countries never go above this participation, well below the leaders' lower bounds.
    static let maximumOtherRate = 0.21

    /// 74 countries, about 147,000 employees (Schneider Electric had well over 100,000 in 2015); a
    /// few have fewer than 10 so that privacy folding shows.
    static let countries: [DemoCountry] = [
        DemoCountry(code: "IN", headcount: 22_300, sites: ["Bangalore", "Mumbai", "Gurugram", "Kolkata", "Chennai", "Hyderabad", "Nashik", "Vadodara"], names: indian, baseRate: 0.31),
        DemoCountry(code: "US", headcount: 20_200, sites: ["Andover", "Nashville", "Boston", "Lexington", "Smyrna", "Raleigh", "Seneca", "Columbia"], names: english, baseRate: 0.28),
        DemoCountry(code: "FR", headcount: 20_200, sites: ["Rueil-Malmaison", "Grenoble", "Le Vaudreuil", "Lyon", "Angoulême", "Montpellier", "Évreux"], names: french, baseRate: 0.29),
        DemoCountry(code: "CN", headcount: 14_400, sites: ["Shanghai", "Beijing", "Wuhan", "Tianjin", "Xiamen", "Shenzhen"], names: chinese, baseRate: 0.55),
        DemoCountry(code: "BR", headcount: 9_700, sites: ["São Paulo", "Curitiba", "Guararema", "Recife", "Sumaré"], names: brazilian, baseRate: 0.34),
        DemoCountry(code: "DE", headcount: 6_500, sites: ["Ratingen", "Marktheidenfeld", "Seligenstadt", "Berlin"], names: german, baseRate: 0.60),
        DemoCountry(code: "GB", headcount: 4_000, sites: ["London", "Telford", "Leeds"], names: english, baseRate: 0.66),
        DemoCountry(code: "ES", headcount: 3_600, sites: ["Barcelona", "Madrid", "Griñón"], names: spanish, baseRate: 0.70),
        DemoCountry(code: "IT", headcount: 3_240, sites: ["Milan", "Stezzano", "Rome"], names: italian, baseRate: 0.62),
        DemoCountry(code: "RU", headcount: 2_880, sites: ["Moscow", "Kazan", "Kozmodemyansk"], names: slavic, baseRate: 0.40),
        DemoCountry(code: "MX", headcount: 3_060, sites: ["Mexico City", "Monterrey", "Tlaxcala"], names: spanish, baseRate: 0.68),
        DemoCountry(code: "AU", headcount: 2_340, sites: ["Sydney", "Melbourne", "Brisbane"], names: english, baseRate: 0.64),
        DemoCountry(code: "CA", headcount: 2_160, sites: ["Mississauga", "Montreal", "Victoria"], names: english, baseRate: 0.63),
        DemoCountry(code: "JP", headcount: 1_800, sites: ["Tokyo", "Osaka"], names: japanese, baseRate: 0.45),
        DemoCountry(code: "ID", headcount: 1_620, sites: ["Jakarta", "Batam"], names: southeastAsian, baseRate: 0.58),
        DemoCountry(code: "TR", headcount: 1_510, sites: ["Istanbul", "Manisa"], names: turkish, baseRate: 0.52),
        DemoCountry(code: "PL", headcount: 1_510, sites: ["Warsaw", "Bukowno"], names: slavic, baseRate: 0.57),
        DemoCountry(code: "SG", headcount: 1_370, sites: ["Singapore"], names: southeastAsian, baseRate: 0.66),
        DemoCountry(code: "ZA", headcount: 1_300, sites: ["Johannesburg", "Cape Town", "Durban"], names: african, baseRate: 0.69),
        DemoCountry(code: "AE", headcount: 1_220, sites: ["Dubai", "Abu Dhabi"], names: arabic, baseRate: 0.50),
        DemoCountry(code: "TH", headcount: 1_190, sites: ["Bangkok", "Rayong"], names: southeastAsian, baseRate: 0.55),
        DemoCountry(code: "VN", headcount: 1_080, sites: ["Ho Chi Minh City", "Hanoi"], names: southeastAsian, baseRate: 0.60),
        DemoCountry(code: "PH", headcount: 1_080, sites: ["Manila", "Cebu"], names: southeastAsian, baseRate: 0.67),
        DemoCountry(code: "MY", headcount: 1_010, sites: ["Kuala Lumpur", "Penang"], names: southeastAsian, baseRate: 0.56),
        DemoCountry(code: "KR", headcount: 940, sites: ["Seoul"], names: korean, baseRate: 0.44),
        DemoCountry(code: "NL", headcount: 940, sites: ["Amsterdam", "Hoofddorp"], names: dutch, baseRate: 0.61),
        DemoCountry(code: "SE", headcount: 900, sites: ["Stockholm", "Malmö"], names: nordic, baseRate: 0.70),
        DemoCountry(code: "BE", headcount: 860, sites: ["Brussels", "Diegem"], names: dutch, baseRate: 0.59),
        DemoCountry(code: "SA", headcount: 860, sites: ["Riyadh", "Dammam"], names: arabic, baseRate: 0.42),
        DemoCountry(code: "AR", headcount: 830, sites: ["Buenos Aires", "Córdoba"], names: spanish, baseRate: 0.65),
        DemoCountry(code: "CH", headcount: 790, sites: ["Ittigen", "Geneva"], names: german, baseRate: 0.58),
        DemoCountry(code: "DK", headcount: 760, sites: ["Kolding", "Copenhagen"], names: nordic, baseRate: 0.67),
        DemoCountry(code: "EG", headcount: 760, sites: ["Cairo", "Alexandria"], names: arabic, baseRate: 0.48),
        DemoCountry(code: "CZ", headcount: 720, sites: ["Prague", "Písek"], names: slavic, baseRate: 0.54),
        DemoCountry(code: "CL", headcount: 720, sites: ["Santiago"], names: spanish, baseRate: 0.62),
        DemoCountry(code: "CO", headcount: 680, sites: ["Bogotá", "Medellín"], names: spanish, baseRate: 0.66),
        DemoCountry(code: "HU", headcount: 610, sites: ["Budapest", "Dunavarsány"], names: slavic, baseRate: 0.50),
        DemoCountry(code: "RO", headcount: 580, sites: ["Bucharest"], names: slavic, baseRate: 0.55),
        DemoCountry(code: "NO", headcount: 500, sites: ["Oslo", "Skien"], names: nordic, baseRate: 0.69),
        DemoCountry(code: "FI", headcount: 470, sites: ["Espoo", "Helsinki"], names: nordic, baseRate: 0.64),
        DemoCountry(code: "MA", headcount: 470, sites: ["Casablanca"], names: arabic, baseRate: 0.53),
        DemoCountry(code: "AT", headcount: 430, sites: ["Vienna"], names: german, baseRate: 0.57),
        DemoCountry(code: "PT", headcount: 430, sites: ["Lisbon", "Porto"], names: brazilian, baseRate: 0.66),
        DemoCountry(code: "IE", headcount: 400, sites: ["Dublin", "Galway"], names: english, baseRate: 0.63),
        DemoCountry(code: "PE", headcount: 400, sites: ["Lima"], names: spanish, baseRate: 0.61),
        DemoCountry(code: "IL", headcount: 360, sites: ["Tel Aviv"], names: hebrew, baseRate: 0.55),
        DemoCountry(code: "NG", headcount: 360, sites: ["Lagos", "Abuja"], names: african, baseRate: 0.60),
        DemoCountry(code: "TN", headcount: 360, sites: ["Tunis"], names: arabic, baseRate: 0.52),
        DemoCountry(code: "KE", headcount: 324, sites: ["Nairobi"], names: african, baseRate: 0.68),
        DemoCountry(code: "PK", headcount: 252, sites: ["Lahore", "Karachi"], names: southAsian, baseRate: 0.45),
        DemoCountry(code: "NZ", headcount: 252, sites: ["Auckland"], names: english, baseRate: 0.66),
        DemoCountry(code: "BD", headcount: 180, sites: ["Dhaka"], names: southAsian, baseRate: 0.50),
        DemoCountry(code: "GR", headcount: 180, sites: ["Athens"], names: greek, baseRate: 0.56),
        DemoCountry(code: "SK", headcount: 180, sites: ["Bratislava"], names: slavic, baseRate: 0.53),
        DemoCountry(code: "UA", headcount: 180, sites: ["Kyiv"], names: slavic, baseRate: 0.48),
        DemoCountry(code: "LK", headcount: 144, sites: ["Colombo"], names: southAsian, baseRate: 0.58),
        DemoCountry(code: "BG", headcount: 144, sites: ["Sofia"], names: slavic, baseRate: 0.50),
        DemoCountry(code: "KZ", headcount: 126, sites: ["Almaty"], names: slavic, baseRate: 0.42),
        DemoCountry(code: "HR", headcount: 101, sites: ["Zagreb"], names: slavic, baseRate: 0.54),
        DemoCountry(code: "RS", headcount: 94, sites: ["Belgrade"], names: slavic, baseRate: 0.52),
        DemoCountry(code: "SI", headcount: 79, sites: ["Ljubljana"], names: slavic, baseRate: 0.60),
        DemoCountry(code: "QA", headcount: 72, sites: ["Doha"], names: arabic, baseRate: 0.45),
        DemoCountry(code: "CR", headcount: 65, sites: ["San José"], names: spanish, baseRate: 0.62),
        DemoCountry(code: "KW", headcount: 54, sites: ["Kuwait City"], names: arabic, baseRate: 0.45),
        DemoCountry(code: "UY", headcount: 54, sites: ["Montevideo"], names: spanish, baseRate: 0.64),
        DemoCountry(code: "EC", headcount: 50, sites: ["Quito"], names: spanish, baseRate: 0.60),
        DemoCountry(code: "EE", headcount: 47, sites: ["Tallinn"], names: nordic, baseRate: 0.58),
        DemoCountry(code: "OM", headcount: 43, sites: ["Muscat"], names: arabic, baseRate: 0.45),
        DemoCountry(code: "GH", headcount: 43, sites: ["Accra"], names: african, baseRate: 0.62),
        DemoCountry(code: "GT", headcount: 9, sites: ["Guatemala City"], names: spanish, baseRate: 0.60),
        DemoCountry(code: "MU", headcount: 8, sites: ["Port Louis"], names: african, baseRate: 0.60),
        DemoCountry(code: "CY", headcount: 7, sites: ["Nicosia"], names: greek, baseRate: 0.55),
        DemoCountry(code: "LU", headcount: 5, sites: ["Luxembourg"], names: french, baseRate: 0.60),
        DemoCountry(code: "IS", headcount: 4, sites: ["Reykjavík"], names: nordic, baseRate: 0.60),
    ]

    // MARK: - Org units

    /// Org unit paths with their weight in the workforce.
    static let orgUnits: [(path: String, weight: Double)] = [
        ("Energy Management/Buildings", 12), ("Energy Management/Power Systems", 11), ("Energy Management/Secure Power", 9),
        ("Energy Management/Home & Distribution", 8), ("Industrial Automation/Process", 8), ("Industrial Automation/Discrete", 7),
        ("Industrial Automation/Software", 5), ("Global Supply Chain/Manufacturing", 16), ("Global Supply Chain/Logistics", 6),
        ("Field Services", 7), ("Sales/Key Accounts", 4), ("Corporate/Human Resources", 2), ("Corporate/Finance", 2),
        ("Corporate/Digital", 3),
    ]

    // MARK: - Events

    /// An event of the drive: `day` is relative to the load day (negative: past).
    struct EventTemplate: Sendable {
        var country: String
        var kind: String
        var city: String?
        var title: String
        var day: Int
        var hour: Int
        var hours: Int
        var capacity: Int?
    }

    /// Past events (with check-ins and signatures made there) and upcoming ones (with RSVPs).
    static let events: [EventTemplate] = [
        EventTemplate(country: "FR", kind: "city", city: "Rueil-Malmaison", title: "#HeForShe launch with the executive committee", day: -135, hour: 9, hours: 3, capacity: 400),
        EventTemplate(country: "IN", kind: "city", city: "Bangalore", title: "HeForShe pledge drive at the Bangalore campus", day: -118, hour: 10, hours: 6, capacity: nil),
        EventTemplate(country: "US", kind: "city", city: "Andover", title: "HeForShe town hall: men as agents of change", day: -104, hour: 12, hours: 2, capacity: 250),
        EventTemplate(country: "BR", kind: "city", city: "São Paulo", title: "Encontro #ElesPorElas em São Paulo", day: -97, hour: 14, hours: 3, capacity: 300),
        EventTemplate(country: "IN", kind: "village", city: "Hiware Bazar", title: "Village meeting: girls' education and safe water", day: -82, hour: 8, hours: 4, capacity: 120),
        EventTemplate(country: "FR", kind: "online", city: nil, title: "Global webinar: unconscious bias, with UN Women", day: -74, hour: 13, hours: 1, capacity: nil),
        EventTemplate(country: "CN", kind: "city", city: "Shanghai", title: "HeForShe forum in Shanghai", day: -66, hour: 15, hours: 2, capacity: 150),
        EventTemplate(country: "BR", kind: "village", city: "Cunha", title: "Roda de conversa na comunidade de Cunha", day: -58, hour: 9, hours: 3, capacity: 60),
        EventTemplate(country: "DE", kind: "city", city: "Berlin", title: "HeForShe breakfast in Berlin", day: -51, hour: 8, hours: 2, capacity: 80),
        EventTemplate(country: "US", kind: "city", city: "Nashville", title: "HeForShe selfie day at the Nashville plant", day: -44, hour: 11, hours: 5, capacity: nil),
        EventTemplate(country: "IN", kind: "city", city: "Mumbai", title: "HeForShe stories evening, Mumbai", day: -39, hour: 17, hours: 3, capacity: 200),
        EventTemplate(country: "ZA", kind: "city", city: "Johannesburg", title: "HeForShe dialogue in Johannesburg", day: -33, hour: 10, hours: 2, capacity: 60),
        EventTemplate(country: "FR", kind: "city", city: "Grenoble", title: "Journée #HeForShe à Grenoble", day: -27, hour: 9, hours: 8, capacity: 300),
        EventTemplate(country: "IN", kind: "village", city: "Punsari", title: "Punsari village gathering on equal pay", day: -19, hour: 9, hours: 3, capacity: 90),
        EventTemplate(country: "BR", kind: "city", city: "Curitiba", title: "Curitiba #HeForShe: fábrica e famílias", day: -12, hour: 13, hours: 4, capacity: 150),
        EventTemplate(country: "MX", kind: "city", city: "Monterrey", title: "Reunión #HeForShe en Monterrey", day: -6, hour: 16, hours: 2, capacity: 50),
        EventTemplate(country: "FR", kind: "city", city: "Lyon", title: "Atelier #HeForShe : partage des tâches", day: 3, hour: 12, hours: 2, capacity: 40),
        EventTemplate(country: "IN", kind: "village", city: "Ralegan Siddhi", title: "Ralegan Siddhi: women's self-help groups meet our volunteers", day: 5, hour: 9, hours: 4, capacity: 20),
        EventTemplate(country: "US", kind: "city", city: "Boston", title: "HeForShe panel: parental leave for every parent", day: 7, hour: 12, hours: 2, capacity: 30),
        EventTemplate(country: "BR", kind: "village", city: "Guararema", title: "Mutirão #ElesPorElas em Guararema", day: 9, hour: 8, hours: 5, capacity: 25),
        EventTemplate(country: "JP", kind: "online", city: nil, title: "HeForShe Asia-Pacific online session", day: 10, hour: 3, hours: 1, capacity: nil),
        EventTemplate(country: "IN", kind: "city", city: "Hyderabad", title: "HeForShe run, Hyderabad", day: 12, hour: 6, hours: 3, capacity: 150),
        EventTemplate(country: "GB", kind: "city", city: "London", title: "HeForShe evening in London", day: 14, hour: 18, hours: 2, capacity: 20),
        EventTemplate(country: "KE", kind: "village", city: "Kajiado", title: "Kajiado solar school visit with HeForShe volunteers", day: 18, hour: 7, hours: 6, capacity: 15),
        EventTemplate(country: "ES", kind: "city", city: "Barcelona", title: "Encuentro #HeForShe en Barcelona", day: 20, hour: 10, hours: 2, capacity: 30),
    ]

    // MARK: - Stories

    /// A story's text and the countries whose employees would write it. Every story names a place
    /// in its author's country: `{site}` stands for the author's own site; a story about a past
    /// event names the event's city, is written in the event's country only, and is dated after it.
    struct StoryTemplate: Sendable {
        var countries: [String]
        var body: String
        /// The city of the past event (in ``events``) the story tells about.
        var event: String?

        init(countries: [String], body: String) {
            self.countries = countries
            self.body = body
            self.event = nil
        }

        /// A story about the past event held in `city`, in `country`.
        init(country: String, event city: String, body: String) {
            self.countries = [country]
            self.body = body
            self.event = city
        }

        /// The body, with `{site}` replaced by the author's site.
        func text(site: String) -> String { body.replacingOccurrences(of: "{site}", with: site) }
    }

    static let stories: [StoryTemplate] = [
        StoryTemplate(countries: ["IN"], body: "Signed the pledge today with my whole team in {site}. Equality starts at our own desks. #HeForShe #EqualityAtWork"),
        StoryTemplate(countries: ["IN"], body: "मैंने आज {site} में #HeForShe प्रतिज्ञा ली। मेरी बेटी को वही अवसर मिलने चाहिए जो मेरे बेटे को मिलते हैं। #समानता"),
        StoryTemplate(country: "IN", event: "Hiware Bazar", body: "Our village visit in Hiware Bazar: 40 volunteers, one selfie, a thousand conversations. #HeForShe #HeForSheSelfie"),
        StoryTemplate(countries: ["IN"], body: "हमारी टीम ने {site} में #HeForShe सेल्फी ली। बदलाव घर से शुरू होता है। #HeForShe"),
        StoryTemplate(countries: ["BR", "PT"], body: "Assinei o compromisso #HeForShe em {site}. Em casa, divido as tarefas; no trabalho, defendo salários iguais. #ElesPorElas"),
        StoryTemplate(country: "BR", event: "Curitiba", body: "Selfie da equipe de Curitiba depois do encontro! Igualdade de gênero é assunto de todos nós. #HeForShe #ElesPorElas"),
        StoryTemplate(countries: ["BR"], body: "Na fábrica de {site}, a cada semana mais colegas assinam. Ainda falta muita gente: bora! #HeForShe"),
        StoryTemplate(countries: ["FR", "BE", "CH", "LU", "MA", "TN", "CA"], body: "J'ai signé l'engagement #HeForShe à {site} : l'égalité femmes-hommes, c'est aussi notre affaire. #ElleLui #HeForShe"),
        StoryTemplate(country: "FR", event: "Grenoble", body: "Belle journée à Grenoble : selfie d'équipe et débat sur le congé paternité. #HeForShe #HeForSheSelfie"),
        StoryTemplate(countries: ["FR"], body: "À {site}, l'équipe s'est mobilisée. Prochaine étape : des réunions qui finissent à 18 h. #HeForShe"),
        StoryTemplate(countries: ["US", "GB", "AU", "CA", "IE", "NZ"], body: "Took the #HeForShe pledge in {site} because my daughters deserve the same chances I had. Who's next? #HeForShe #EqualityAtWork"),
        StoryTemplate(country: "US", event: "Nashville", body: "Nashville plant selfie day: 300 of us in one photo. Proud of this team. #HeForShe #HeForSheSelfie"),
        StoryTemplate(countries: ["US"], body: "I mentor two women engineers at {site} this year. Small step, real change. #HeForShe"),
        StoryTemplate(countries: ["ES", "MX", "AR", "CL", "CO", "PE"], body: "Firmé el compromiso #HeForShe en {site}. La igualdad no es un tema de mujeres, es de todos. #ÉlPorElla"),
        StoryTemplate(countries: ["CN", "SG"], body: "今天我在{site}签署了 #HeForShe 承诺。性别平等从我们每个人做起。#HeForShe"),
        StoryTemplate(countries: ["DE", "AT", "CH"], body: "Habe heute in {site} das #HeForShe-Versprechen unterschrieben. Gleichberechtigung geht uns alle an. #HeForShe"),
        StoryTemplate(country: "ZA", event: "Johannesburg", body: "Our Johannesburg dialogue was honest and hopeful. Men listening first, then acting. #HeForShe #EqualityAtWork"),
    ]

    /// Stories that wait for a moderator, posted in the last days.
    static let pendingStories: [StoryTemplate] = [
        StoryTemplate(countries: ["US"], body: "Just signed in {site}! Let's get more of our site on board before the end of the month. #HeForShe"),
        StoryTemplate(countries: ["BR"], body: "Eu também assinei. Quem vem no mutirão de Guararema? #HeForShe #ElesPorElas"),
    ]

    /// The story a moderator rejected, and why.
    static let rejectedStory = (
        template: StoryTemplate(countries: ["GB"], body: "Sign the pledge or explain yourself to me personally, I have the list of who in {site} hasn't. #HeForShe"),
        reason: "Pressuring or naming colleagues is against the campaign's charter: signing is a free choice."
    )
}
